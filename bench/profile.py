"""``make profile``: where a check spends its time, from py-spy samples of every thread.

py-spy samples the whole ``vidverify check`` process from outside, every thread, so the OCR
side threads and the decoder show up beside the main thread; a Python profiler would see only
one thread. Time in C (Tesseract, FFmpeg, OpenCV) is counted to the Python line that called it,
which names it well enough here: ``_recognise`` is Tesseract, ``_decode`` is FFmpeg. (py-spy's
native mode names the C functions too, but unwinding them slowed the check twentyfold on the
development machine and bent the shares.) The samples are folded into a few kinds of work and
written to ``bench/profile.txt`` (the raw folded stacks beside it, ``bench/profile.folded``,
open in speedscope or any flame-graph viewer). Time a thread spends blocked on another (the
main thread waiting for a page half, an idle pool thread) is counted apart, so the shares are
shares of work.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

from bench.run import ROOT, pipeline_cmd
from bench.videos import ensure

WAITING = "waiting (a thread blocked on another)"
OUT = Path(__file__).resolve().parent / "profile.txt"
FOLDED = OUT.with_suffix(".folded")

# First match wins, tested against the whole stack from the leaf up.
KINDS = [
    ("OCR (Tesseract)", ("pipeline/ocr.py", "tesserocr")),
    ("decode (FFmpeg)", ("pipeline/video.py", "av/")),
    ("text matching", ("textmatch.py", "difflib")),
    (
        "image ops (OpenCV, NumPy)",
        ("cv2", "numpy", "preprocess.py", "pipeline/reading/", "schedule.py", "timeline.py"),
    ),
    ("start-up (imports)", ("<frozen importlib", "_find_and_load")),
]

# Leaf frames of a thread that waits: on a lock, a queue, a future, an idle pool.
WAITS = ("threading.py", "queue.py", "concurrent/futures", "acquire", "sleep")


def kind_of(stack: str) -> str:
    frames = stack.split(";")
    if any(w in frames[-1] for w in WAITS):
        return WAITING
    for frame in reversed(frames):
        for name, marks in KINDS:
            if any(m in frame for m in marks):
                return name
    return "other Python"


def thread_of(stack: str) -> str:
    head = stack.split(";", 1)[0]
    for name in ("vidverify-decode", "vidverify-ocr", "MainThread"):
        if name in stack:
            return {"vidverify-decode": "decoder", "vidverify-ocr": "OCR side threads"}.get(name, "main")
    return head.split(" ")[0] or "other"


def summarise(folded: str) -> str:
    kinds: Counter[str] = Counter()
    threads: Counter[str] = Counter()
    waiting = 0
    for line in folded.splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        kind = kind_of(stack)
        if kind == WAITING:
            waiting += int(count)
            continue
        kinds[kind] += int(count)
        threads[thread_of(stack)] += int(count)
    total = sum(kinds.values()) or 1
    rows = ["share of busy samples, all threads", ""]
    rows += [f"  {share * 100 / total:5.1f} %  {name}" for name, share in kinds.most_common()]
    rows += ["", f"  (and {waiting} samples of threads {WAITING[9:-1]}, left out)"]
    rows += ["", "busy samples by thread", ""]
    rows += [f"  {share * 100 / total:5.1f} %  {name}" for name, share in threads.most_common()]
    return "\n".join(rows) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="profile one vidverify check with py-spy")
    ap.add_argument("--video", default="bench_go4_60s", help="a bench recording name")
    ap.add_argument("--rate", type=int, default=250, help="samples per second")
    args = ap.parse_args(argv)
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        print("py-spy is not installed: pip install py-spy", file=sys.stderr)
        return 2
    path, case = ensure(args.video)
    cmd = [spy, "record", "--threads", "--rate", str(args.rate)]
    cmd += ["--format", "raw", "--output", str(FOLDED), "--", *pipeline_cmd(path, case)]
    subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # exit = verdict
    if not FOLDED.exists() or not FOLDED.stat().st_size:
        print("py-spy recorded nothing (it needs ptrace: run as root or allow it)", file=sys.stderr)
        return 1
    text = f"vidverify check {path.name}\n\n" + summarise(FOLDED.read_text())
    OUT.write_text(text)
    print(text + f"written to {OUT.relative_to(ROOT)} (stacks: {FOLDED.relative_to(ROOT)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
