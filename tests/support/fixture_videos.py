"""Where the generated fixture recordings and the shared samples are, and their manifests."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "videos"
SAMPLES = ROOT.parent / "shared" / "samples"


def load_cases(folder: Path) -> list[dict]:
    """The cases of ``folder``'s manifest.json, each with its absolute ``path``; [] without one."""
    manifest = folder / "manifest.json"
    if not manifest.exists():
        return []
    cases = json.loads(manifest.read_text())["cases"]
    for c in cases:
        c["path"] = str(folder / c["file"])
    return cases


YOUTUBE = FIXTURES / "youtube"


def ensure_twin(case: dict) -> Path:
    """The YouTube-like twin of a fixture, made by the generator on first use: the twins are
    not in git (37 recordings at YouTube's bitrates are 170 MB), their manifest is."""
    from fixtures.render.youtube import make_twin

    dst = YOUTUBE / case["file"]
    if not dst.exists():
        source = next(c for c in load_cases(FIXTURES) if c["file"] == case["twin_of"])
        nominal = source.get("fps") if source.get("vfr") else None
        tmp = dst.with_suffix(".part.mp4")
        make_twin(FIXTURES / source["file"], tmp, float(nominal) if nominal else None)
        tmp.rename(dst)  # a run stopped halfway leaves no half-written twin
    return dst
