"""The committed fixture recordings decode, match their manifest and can be regenerated."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

ROOT = Path(__file__).resolve().parents[1]
VIDEOS = ROOT / "fixtures" / "videos"
MANIFEST = json.loads((VIDEOS / "manifest.json").read_text())
CASES = MANIFEST["cases"]
READABLE = [c for c in CASES if c.get("readable", True)]
UNREADABLE = [c for c in CASES if not c.get("readable", True)]
DETERMINISM_CASE = "rej_flight_status_not_found"


def _count_frames(path: Path) -> tuple[int, cv2.VideoCapture]:
    cap = cv2.VideoCapture(str(path))
    n = 0
    while cap.grab():
        n += 1
    return n, cap


@pytest.mark.parametrize("case", READABLE, ids=[c["id"] for c in READABLE])
def test_readable_fixture_matches_manifest(case):
    path = VIDEOS / case["file"]
    assert path.exists()
    cap = cv2.VideoCapture(str(path))
    assert cap.isOpened()
    assert int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)) == case["width"]
    assert int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)) == case["height"]
    fps = cap.get(cv2.CAP_PROP_FPS)
    assert fps == pytest.approx(case["fps"], abs=0.01)
    cap.release()
    frames, cap = _count_frames(path)
    cap.release()
    assert frames == case["frames"]
    assert frames / fps == pytest.approx(case["duration"], abs=0.1)
    # the timeline covers the whole video
    tl = case["timeline"]
    assert tl[0]["start_s"] == 0
    assert tl[-1]["end_s"] == pytest.approx(case["duration"], abs=0.1)


@pytest.mark.parametrize("case", UNREADABLE, ids=[c["id"] for c in UNREADABLE])
def test_unreadable_fixture_does_not_decode(case):
    path = VIDEOS / case["file"]
    assert path.exists() and path.stat().st_size > 0
    assert case["duration"] == 0
    cap = cv2.VideoCapture(str(path))
    frames = 0
    if cap.isOpened():
        while cap.grab():
            frames += 1
    cap.release()
    assert frames == 0
    res = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", str(path)], capture_output=True, text=True
    )
    assert res.returncode != 0


def test_manifest_covers_apps_and_reasons():
    vocab = MANIFEST["reason_vocabulary"]
    assert len(vocab) == 12
    assert {c["app"] for c in CASES} == {"dji_fly", "dji_go4"}
    covered = {r for c in CASES for r in c["expected_reasons"]}
    assert covered == set(vocab)
    for c in CASES:
        assert set(c["expected_reasons"]) <= set(vocab)
        if c["expected_verdict"] == "approved":
            assert c["expected_reasons"] == []
        else:
            assert c["expected_verdict"] == "rejected" and c["expected_reasons"]
        assert {"model", "aircraft_sn", "rc_sn"} <= set(c["product"])
    assert any(c["id"] == "ok_fly_1080p30" and c["expected_verdict"] == "approved" for c in CASES)


@pytest.mark.slow
def test_generator_is_deterministic(tmp_path):
    """Regenerating a fixture gives the committed recording: the same frames, each equal within
    rounding, and the same manifest entry. Not the same bytes: a newer NumPy or Pillow may round
    a blended frame one way or the other (seen: 21 frames of a fade, up to 11 grey levels on a
    few pixels), and the encoder codes that difference."""
    cmd = [sys.executable, "-m", "fixtures.generate", "--only", DETERMINISM_CASE]
    subprocess.run([*cmd, "--out", str(tmp_path), "--jobs", "1"], cwd=ROOT, check=True)
    new = cv2.VideoCapture(str(tmp_path / f"{DETERMINISM_CASE}.mp4"))
    old = cv2.VideoCapture(str(VIDEOS / f"{DETERMINISM_CASE}.mp4"))
    frames = 0
    while True:
        ok_new, a = new.read()
        ok_old, b = old.read()
        assert ok_new == ok_old, f"frame counts differ at frame {frames}"
        if not ok_new:
            break
        diff = cv2.absdiff(a, b)
        assert int(diff.max()) <= 24 and float(diff.mean()) < 0.05, f"frame {frames} differs"
        frames += 1
    assert frames == next(c for c in CASES if c["id"] == DETERMINISM_CASE)["frames"]
    entry = json.loads((tmp_path / "manifest.json").read_text())["cases"][0]
    committed = next(c for c in CASES if c["id"] == DETERMINISM_CASE)
    assert entry == committed
