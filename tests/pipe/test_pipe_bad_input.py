"""Bad input gets a clear verdict or error, never a traceback."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pipeline.analyse import analyse_file
from pipeline.models import Claim, Reason, Verdict
from tests.support.fixture_videos import FIXTURES

CLAIM = Claim(rc_sn="1581F6JXD2W6037TP2EU", aircraft_sn="1581F8PHF4RJZTR82L1T")


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


def _unreadable(path: Path) -> None:
    report = analyse_file(path, CLAIM)
    assert report.verdict is Verdict.REJECTED
    assert report.reasons == [Reason.VIDEO_UNREADABLE]
    assert report.findings[0].message


def test_empty_file(tmp_path: Path) -> None:
    p = tmp_path / "empty.mp4"
    p.write_bytes(b"")
    _unreadable(p)


def test_text_file_renamed(tmp_path: Path) -> None:
    p = tmp_path / "notes.mp4"
    p.write_text("this is not a video\n" * 100)
    _unreadable(p)


def test_truncated_mp4(tmp_path: Path) -> None:
    src = (FIXTURES / "ok_go4_720p30.mp4").read_bytes()
    p = tmp_path / "cut.mp4"
    p.write_bytes(src[: len(src) // 4])
    report = analyse_file(p, CLAIM)
    assert report.verdict is Verdict.REJECTED  # either unreadable or incomplete, never approved
    assert report.reasons


def test_audio_only(tmp_path: Path) -> None:
    p = tmp_path / "audio.mp4"
    _ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-c:a", "aac", str(p))
    _unreadable(p)


def test_one_frame_video(tmp_path: Path) -> None:
    p = tmp_path / "one.mp4"
    _ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "color=c=black:s=320x240:d=1",
        "-frames:v",
        "1",
        "-c:v",
        "libx264",
        str(p),
    )
    report = analyse_file(p, CLAIM)
    assert report.verdict is Verdict.REJECTED
    assert report.reasons == [Reason.VIDEO_UNREADABLE]


def test_long_static_video(tmp_path: Path) -> None:
    p = tmp_path / "static.mp4"
    _ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "color=c=gray:s=640x360:d=300:r=5",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-tune",
        "stillimage",
        str(p),
    )
    report = analyse_file(p, CLAIM)
    assert report.verdict is Verdict.REJECTED
    assert Reason.RC_SERIAL_NOT_FOUND in report.reasons
    assert report.video.duration_s == pytest.approx(300, abs=1)
    # A static screen is read rarely, not once per sample.
    assert report.timings["total"] > 0


def test_missing_file() -> None:
    _unreadable(Path("/nonexistent/video.mp4"))
