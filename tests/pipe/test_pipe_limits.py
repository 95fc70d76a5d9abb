"""Recordings that would cost too much, or that image code cannot handle, are refused before
decoding with a ``video_unreadable`` finding that names the limit; AV1 decodes (dav1d)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.analyse import analyse_file
from pipeline.limits import Header, VideoLimits
from pipeline.models import Claim, Reason, Verdict
from pipeline.video import probe, sample_frames
from tests.support.cli_run import vidverify

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "videos"
CLAIM = Claim(rc_sn="1581F6JXD2W6037TP2EU", aircraft_sn="1581F8PHF4RJZTR82L1T")


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


def _colour(path: Path, size: str, seconds: float, rate: int, *extra: str) -> Path:
    _ffmpeg(
        "-f", "lavfi", "-i", f"color=c=black:s={size}:d={seconds}:r={rate}",
        "-c:v", "libx264", "-preset", "ultrafast", *extra, str(path),
    )  # fmt: skip
    return path


def _refused(path: Path, setting: str) -> str:
    report = analyse_file(path, CLAIM)
    assert report.verdict is Verdict.REJECTED
    assert report.reasons == [Reason.VIDEO_UNREADABLE]
    message = report.findings[0].message
    assert setting in message, message
    return message


def test_tiny_frames_are_refused_not_crashed(tmp_path: Path) -> None:
    # A 16 px strip crashed the scroll follower (cv2.createHanningWindow) with a traceback.
    message = _refused(_colour(tmp_path / "strip.mp4", "640x16", 2, 10), "VIDVERIFY_MIN_SIDE_PX")
    assert "640x16" in message


def test_tiny_frames_through_the_cli_give_a_report(tmp_path: Path) -> None:
    strip = _colour(tmp_path / "strip.mp4", "16x480", 2, 10)
    done = vidverify("check", str(strip), "--rc-sn", CLAIM.rc_sn, "--json", cwd=tmp_path, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    report = json.loads(done.stdout)
    assert report["reasons"] == ["video_unreadable"]


def _peak_rss_kb(path: Path) -> tuple[str, int]:
    """The finding and the peak memory of a fresh process analysing ``path``; it waits for the
    OCR models' warm-up to settle so that runs compare alike."""
    script = (
        "import resource, sys, time\n"
        "from pathlib import Path\n"
        "from pipeline.analyse import analyse_file\n"
        "from pipeline.models import Claim\n"
        "r = analyse_file(Path(sys.argv[1]), Claim(rc_sn='1581F6JXD2W6037TP2EU'))\n"
        "time.sleep(3)\n"
        "print(r.findings[0].message)\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr
    message, peak_kb = done.stdout.strip().splitlines()
    return message, int(peak_kb)


def test_huge_frames_refused_before_decoding_with_bounded_memory(tmp_path: Path) -> None:
    """A 100 KB file of 6000x6000 frames cost 300 MB more than a refused strip before (the
    first frames decoded); refused from the header, it costs about what the strip costs."""
    big = _colour(tmp_path / "big.mp4", "6000x6000", 1, 2)
    strip = _colour(tmp_path / "strip.mp4", "640x16", 1, 2)
    message, big_kb = _peak_rss_kb(big)
    assert "VIDVERIFY_MAX_SIDE_PX" in message
    _, strip_kb = _peak_rss_kb(strip)
    assert big_kb - strip_kb < 120 * 1024, (big_kb, strip_kb)


def test_4k60_is_refused_by_the_pixel_rate(tmp_path: Path) -> None:
    message = _refused(_colour(tmp_path / "4k60.mp4", "3840x2160", 0.5, 60), "VIDVERIFY_MAX_PIXEL_RATE")
    assert "3840x2160 at 60 fps" in message


def test_frame_rate_limit(tmp_path: Path) -> None:
    _refused(_colour(tmp_path / "fast.mp4", "320x240", 1, 240), "VIDVERIFY_MAX_FPS")


def test_duration_limit_on_local_files(tmp_path: Path) -> None:
    long = _colour(tmp_path / "long.mp4", "160x120", 3600, 1, "-tune", "stillimage")
    message = _refused(long, "VIDVERIFY_MAX_DURATION_S")
    assert "3600 s" in message


def test_decode_budget_from_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIDVERIFY_MAX_DECODE_PIXELS", str(1920 * 1080 * 60 * 10))
    _refused(FIXTURES / "ok_go4_1080p60.mp4", "VIDVERIFY_MAX_DECODE_PIXELS")


def test_a_stream_that_grows_past_its_header_is_stopped(tmp_path: Path) -> None:
    """The header promises 640x360; the second half of the stream is 1280x720. Every decoded
    frame is checked, so a lying header cannot buy a bigger decode."""
    small = _colour(tmp_path / "a.ts", "640x360", 2, 10)
    large = _colour(tmp_path / "b.ts", "1280x720", 2, 10)
    joined = tmp_path / "joined.ts"
    _ffmpeg("-i", f"concat:{small}|{large}", "-c", "copy", str(joined))
    limits = VideoLimits(max_side_px=1000)
    assert probe(joined, limits).width == 640
    from pipeline.video import UnreadableVideo

    with pytest.raises(UnreadableVideo, match="1280x720"):
        list(sample_frames(joined, 4.0, limits=limits))


def test_limits_read_their_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIDVERIFY_MIN_SIDE_PX", "200")
    monkeypatch.setenv("VIDVERIFY_MAX_DURATION_S", "60")
    limits = VideoLimits.from_env()
    assert limits.header_problem(Header(width=199, height=1080, fps=30, duration_s=10))
    assert limits.header_problem(Header(width=1920, height=1080, fps=30, duration_s=61))
    assert limits.header_problem(Header(width=1920, height=1080, fps=30, duration_s=59)) is None


@pytest.fixture(scope="module")
def av1_recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A passing fixture re-encoded to AV1 (SVT-AV1, as YouTube serves it)."""
    out = tmp_path_factory.mktemp("av1") / "ok_go4_720p30_av1.mp4"
    _ffmpeg(
        "-i", str(FIXTURES / "ok_go4_720p30.mp4"),
        "-c:v", "libsvtav1", "-preset", "12", "-crf", "30", "-g", "60", str(out),
    )  # fmt: skip
    return out


def test_av1_probe_and_frames_use_dav1d(av1_recording: Path) -> None:
    info = probe(av1_recording)
    assert info.codec == "libdav1d"
    assert (info.width, info.height, info.frames) == (1280, 720, 1080)
    assert len(list(sample_frames(av1_recording, 4.0))) >= info.duration_s * 4 - 2


def test_av1_recording_is_verified(av1_recording: Path) -> None:
    manifest = json.loads((FIXTURES / "manifest.json").read_text())
    case = next(c for c in manifest["cases"] if c["file"] == "ok_go4_720p30.mp4")
    product = case["product"]
    report = analyse_file(av1_recording, Claim(rc_sn=product["rc_sn"], aircraft_sn=product["aircraft_sn"]))
    assert report.verdict.value == case["expected_verdict"], report.reasons
