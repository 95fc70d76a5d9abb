"""The benchmark recordings: long variants of two passing fixture scenarios, rendered by the
fixture generator (deterministic, so every machine measures the same files)."""

from __future__ import annotations

import copy
from pathlib import Path

from fixtures.generate import load_cases, render_video

WORK = Path(__file__).resolve().parent / "work"

# (name, base fixture scenario, total seconds)
VARIANTS = [
    ("bench_fly_60s", "ok_fly_1080p30", 60.0),
    ("bench_go4_60s", "ok_go4_1080p60", 60.0),
    ("bench_fly_10min", "ok_fly_1080p30", 600.0),
    ("bench_go4_10min", "ok_go4_1080p60", 600.0),
]


# (name, English variant it is measured against, UI language): the same recording in another
# language, for the non-English / English time ratio (issue 14).
LANGUAGE_VARIANTS = [
    ("bench_fly_60s_fr", "bench_fly_60s", "fr"),
    ("bench_fly_60s_ja", "bench_fly_60s", "ja"),
    ("bench_go4_60s_zh-CN", "bench_go4_60s", "zh-CN"),
]


def scenario(name: str, base: str, total_s: float) -> dict:
    """1920x1080 at 30 fps; the final camera view is held until the video lasts ``total_s``."""
    case = copy.deepcopy(next(c for c in load_cases() if c["id"] == base))
    case["id"] = name
    case["width"], case["height"], case["fps"] = 1920, 1080, 30
    used = sum(seg["dur"] for seg in case["segments"][:-1])
    case["segments"][-1]["dur"] = round(total_s - used, 3)
    return case


def ensure(name: str) -> tuple[Path, dict]:
    language = next((v for v in LANGUAGE_VARIANTS if v[0] == name), None)
    english = language[1] if language else name
    _, base, total = next(v for v in VARIANTS if v[0] == english)
    case = scenario(name, base, total)
    if language is not None:
        case["language"] = language[2]
    path = WORK / f"{name}.mp4"
    if not path.exists():
        WORK.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part.mp4")
        print(f"rendering {path.name} ({total:.0f}s, once)", flush=True)
        render_video(case, tmp)
        tmp.rename(path)
    return path, case
