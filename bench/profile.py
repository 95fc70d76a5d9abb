"""``make profile``: where a check spends its time, from py-spy samples of every thread.

py-spy samples the whole ``vidverify check`` process from outside, native frames included, so
Tesseract (C++), FFmpeg's decoder (C) and OpenCV show up by name beside the Python code; a
Python profiler would see only one thread and stop at the C boundary. The samples are folded
into a few kinds of work and written to ``bench/profile.txt`` (the raw folded stacks beside it,
``bench/profile.folded``, open in speedscope or any flame-graph viewer).
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

OUT = Path(__file__).resolve().parent / "profile.txt"
FOLDED = OUT.with_suffix(".folded")

# First match wins, tested against the whole stack from the leaf up.
KINDS = [
    ("OCR (Tesseract)", ("tesseract", "tesserocr", "leptonica", "liblept")),
    ("decode (FFmpeg)", ("libavcodec", "libavformat", "libavutil", "libswscale", "av/", "_decode")),
    ("image ops (OpenCV, NumPy)", ("cv2", "libopencv", "numpy", "preprocess.py", "readcache.py")),
    ("text matching", ("textmatch.py", "difflib")),
    ("start-up (imports)", ("<frozen importlib", "_find_and_load")),
]


def kind_of(stack: str) -> str:
    frames = stack.split(";")
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
    for line in folded.splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        kinds[kind_of(stack)] += int(count)
        threads[thread_of(stack)] += int(count)
    total = sum(kinds.values()) or 1
    rows = ["share of CPU samples, all threads", ""]
    rows += [f"  {share * 100 / total:5.1f} %  {name}" for name, share in kinds.most_common()]
    rows += ["", "by thread", ""]
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
    cmd = [spy, "record", "--native", "--threads", "--nonblocking", "--rate", str(args.rate)]
    cmd += ["--format", "raw", "--output", str(FOLDED), "--", *pipeline_cmd(path, case)]
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    text = f"vidverify check {path.name}\n\n" + summarise(FOLDED.read_text())
    OUT.write_text(text)
    print(text + f"written to {OUT.relative_to(ROOT)} (stacks: {FOLDED.relative_to(ROOT)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
