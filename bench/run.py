"""``make bench``: the pipeline against a decode floor and a naive OCR script, on the same files
in the same run, plus accuracy of both over the fixture manifest. Writes bench/results.json.

Figures are medians over repetitions; ratios are taken within the run, so they compare like with
like on whatever machine runs them. Tests never look at these numbers.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import cv2

from bench import naive
from bench.videos import LANGUAGE_VARIANTS, VARIANTS, ensure

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results.json"
TARGETS = {
    "pipeline_over_floor": ("<=", 1.5),
    "naive_over_pipeline": (">=", 5.0),
    "realtime_factor": (">=", 8.0),
    "peak_rss_mb_10min": ("<=", 500.0),
    "language_over_english": ("<=", 1.3),
}


def floor_seconds(path: Path) -> float:
    """Decoding every frame once with grab(), nothing else."""
    start = time.perf_counter()
    cap = cv2.VideoCapture(str(path))
    while cap.grab():
        pass
    cap.release()
    return time.perf_counter() - start


def run_timed(cmd: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MB and stdout of a child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
    out = proc.stdout.read() if proc.stdout else ""
    _, _, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - start, usage.ru_maxrss / 1024, out


def pipeline_cmd(path: Path, case: dict) -> list[str]:
    p = case["product"]
    vv = str(Path(sys.executable).parent / "vidverify")
    return [vv, "check", str(path), "--rc-sn", p["rc_sn"], "--aircraft-sn", p["aircraft_sn"], "--json"]


def naive_cmd(path: Path, case: dict) -> list[str]:
    p = case["product"]
    return [
        sys.executable,
        "-m",
        "bench.naive",
        str(path),
        "--rc-sn",
        p["rc_sn"],
        "--aircraft-sn",
        p["aircraft_sn"],
    ]


def language_ratios(reps: int) -> dict[str, dict]:
    """Each language variant against its English recording, runs alternating: the same
    scenario, only the UI language differs."""
    out: dict[str, dict] = {}
    for name, english, language in LANGUAGE_VARIANTS:
        path, case = ensure(name)
        en_path, en_case = ensure(english)
        runs, en_runs = [], []
        for _ in range(reps):
            en_runs.append(run_timed(pipeline_cmd(en_path, en_case)))
            runs.append(run_timed(pipeline_cmd(path, case)))
        entry = {
            "language": language,
            "pipeline_s": statistics.median(r[0] for r in runs),
            "english_s": statistics.median(r[0] for r in en_runs),
            "verdict": json.loads(runs[0][2])["verdict"],
        }
        entry["ratio"] = round(entry["pipeline_s"] / entry["english_s"], 2)
        out[name] = entry
        print(f"{name}: " + ", ".join(f"{k}={v}" for k, v in entry.items()), flush=True)
    return out


def accuracy() -> dict[str, int]:
    from pipeline.analyse import analyse_file
    from pipeline.models import Claim

    manifest = json.loads((ROOT / "fixtures" / "videos" / "manifest.json").read_text())
    right = {"pipeline": 0, "naive": 0}
    for case in manifest["cases"]:
        path = ROOT / "fixtures" / "videos" / case["file"]
        p = case["product"]
        want = (case["expected_verdict"], sorted(case["expected_reasons"]))
        report = analyse_file(path, Claim(rc_sn=p["rc_sn"], aircraft_sn=p["aircraft_sn"]))
        right["pipeline"] += (report.verdict.value, sorted(r.value for r in report.reasons)) == want
        result = naive.check(str(path), p["rc_sn"], p["aircraft_sn"])
        right["naive"] += (result["verdict"], sorted(result["reasons"])) == want
        print(f"  {case['id']:<36} pipeline {report.verdict.value:<13} naive {result['verdict']}", flush=True)
    right["total"] = len(manifest["cases"])
    return right


# The packages whose releases move the figures (the lock pins them; results name them).
_MEASURED_PACKAGES = ("av", "numpy", "opencv-python-headless", "pillow", "tesserocr", "pytesseract")


def _versions() -> dict[str, str]:
    """Installed versions of the measured packages and of Tesseract itself."""
    found = {name: importlib.metadata.version(name) for name in _MEASURED_PACKAGES}
    try:
        import tesserocr

        found["tesseract"] = tesserocr.tesseract_version().split()[1]
    except Exception:  # pytesseract-only install: the figures still stand, without this one
        pass
    return found


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="vidverify benchmark")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="skip the 10-minute recordings")
    ap.add_argument(
        "--skip-accuracy",
        action="store_true",
        help="keep the last accuracy figures (the naive pass over every fixture takes longest)",
    )
    args = ap.parse_args(argv)
    per_video: dict[str, dict] = {}
    for name, _, total in VARIANTS:
        if args.quick and total > 60:
            continue
        path, case = ensure(name)
        entry: dict[str, float] = {"video_s": total}
        if total <= 60:
            # Floor and pipeline runs alternate, so that a machine that speeds up or slows down
            # during the run (a shared host, a warming cache) weighs on both alike.
            floors: list[float] = []
            runs: list[tuple[float, float, str]] = []
            for _ in range(args.reps):
                floors.append(floor_seconds(path))
                runs.append(run_timed(pipeline_cmd(path, case)))
            entry["floor_s"] = statistics.median(floors)
            entry["pipeline_s"] = statistics.median(r[0] for r in runs)
            entry["pipeline_rss_mb"] = max(r[1] for r in runs)
            entry["verdict"] = json.loads(runs[0][2])["verdict"]
            # The naive script takes some 20 s a run: two runs are enough.
            naive_runs = [run_timed(naive_cmd(path, case)) for _ in range(min(2, args.reps))]
            entry["naive_s"] = statistics.median(r[0] for r in naive_runs)
        else:
            wall, rss, out = run_timed(pipeline_cmd(path, case))
            entry.update(pipeline_s=wall, pipeline_rss_mb=rss, verdict=json.loads(out)["verdict"])
        per_video[name] = entry
        print(
            f"{name}: "
            + ", ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in entry.items()),
            flush=True,
        )

    short = [v for v in per_video.values() if v["video_s"] <= 60]
    results: dict[str, object] = {
        "pipeline_over_floor": round(statistics.median(v["pipeline_s"] / v["floor_s"] for v in short), 2),
        "naive_over_pipeline": round(statistics.median(v["naive_s"] / v["pipeline_s"] for v in short), 2),
        "realtime_factor": round(
            statistics.median(v["video_s"] / v["pipeline_s"] for v in per_video.values()), 2
        ),
    }
    long = [v["pipeline_rss_mb"] for v in per_video.values() if v["video_s"] > 60]
    results["peak_rss_mb_10min"] = round(max(long), 1) if long else None
    languages = language_ratios(args.reps)
    results["language_over_english"] = max(v["ratio"] for v in languages.values())
    results["languages"] = languages
    if args.skip_accuracy and RESULTS.exists():
        last = json.loads(RESULTS.read_text())
        acc = {
            "pipeline": last["pipeline_correct"],
            "naive": last["naive_correct"],
            "total": last["fixtures_total"],
        }
        results["accuracy_from_earlier_run"] = True
    else:
        print("accuracy over the fixture manifest:", flush=True)
        acc = accuracy()
    results.update(pipeline_correct=acc["pipeline"], naive_correct=acc["naive"], fixtures_total=acc["total"])
    results["videos"] = per_video
    results["machine"] = {"cpus": os.cpu_count(), "python": sys.version.split()[0]}
    results["versions"] = _versions()
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")

    print("\nresult                     value    target")
    for key, (op, bound) in TARGETS.items():
        value = results[key]
        met = value is not None and (value <= bound if op == "<=" else value >= bound)
        print(f"{key:<24} {value!s:>8}    {op} {bound:<6} {'met' if met else 'MISSED'}")
    fair = acc["pipeline"] >= acc["naive"]
    verdicts = f"{acc['pipeline']:>3} vs naive {acc['naive']} of {acc['total']}"
    print(f"{'correct verdicts':<24} {verdicts}  {'met' if fair else 'MISSED'}")
    print(f"written to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
