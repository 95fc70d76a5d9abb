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
