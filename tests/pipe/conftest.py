"""Shared helpers for the pipeline tests: manifests of the generated fixtures and the samples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "videos"
SAMPLES = ROOT.parent / "shared" / "samples"


def load_cases(folder: Path) -> list[dict]:
    manifest = folder / "manifest.json"
    if not manifest.exists():
        return []
    cases = json.loads(manifest.read_text())["cases"]
    for c in cases:
        c["path"] = str(folder / c["file"])
    return cases


@pytest.fixture(scope="session")
def fixture_cases() -> list[dict]:
    return load_cases(FIXTURES)
