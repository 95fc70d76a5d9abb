"""Every fixture recording, its YouTube-like twin, and every sample from the independent
renderer, gets its expected verdict and reason codes, and no other."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.analyse import analyse_file
from pipeline.models import Claim
from tests.support.fixture_videos import FIXTURES, SAMPLES, ensure_twin, load_cases

FIXTURE_CASES = load_cases(FIXTURES)
TWIN_CASES = load_cases(FIXTURES / "youtube")
SAMPLE_CASES = load_cases(SAMPLES)


def _check(case: dict, tmp_path: Path) -> None:
    product = case["product"]
    claim = Claim(rc_sn=product["rc_sn"], aircraft_sn=product.get("aircraft_sn"), model=product.get("model"))
    report = analyse_file(Path(case["path"]), claim, evidence_dir=tmp_path)
    explain = [f"{f.reason}: {f.message}" for f in report.findings] + report.uncertain
    assert report.verdict == case["expected_verdict"], explain
    assert sorted(report.reasons) == sorted(case["expected_reasons"]), explain
    if case["expected_verdict"] != "rejected" or "video_unreadable" not in case["expected_reasons"]:
        assert report.app == case["app"]
        # Every reason points at evidence a reviewer can open.
        for finding in report.findings:
            if finding.reason != "video_edited":
                assert finding.message
        images = [e.image for s in report.steps for e in s.evidence if e.image]
        assert images and all(Path(p).exists() for p in images)


def test_manifest_is_present() -> None:
    assert len(FIXTURE_CASES) >= 14


@pytest.mark.parametrize("case", FIXTURE_CASES, ids=[c["id"] for c in FIXTURE_CASES])
def test_fixture_verdict(case: dict, tmp_path: Path) -> None:
    _check(case, tmp_path)


def test_every_fixture_has_its_youtube_twin() -> None:
    readable = {c["id"] for c in FIXTURE_CASES if c.get("readable", True)}
    assert readable and readable <= {c["id"] for c in TWIN_CASES}


@pytest.mark.parametrize("case", TWIN_CASES, ids=[c["id"] for c in TWIN_CASES])
def test_youtube_twin_verdict(case: dict, tmp_path: Path) -> None:
    ensure_twin(case)
    _check(case, tmp_path)


@pytest.mark.parametrize("case", SAMPLE_CASES, ids=[c["id"] for c in SAMPLE_CASES])
def test_sample_verdict(case: dict, tmp_path: Path) -> None:
    _check(case, tmp_path)
