"""Decoding in chunks on several threads: the very frames one decoder gives, cut only where
no frame refers across the cut, and a broken chunk ends the video as a broken stream does."""

from __future__ import annotations

import hashlib
import subprocess
import threading
from pathlib import Path

import pytest

from pipeline import decode_chunks
from pipeline.video import _decode, sample_frames
from tests.support.fixture_videos import FIXTURES, SAMPLES, ensure_twin, load_cases

TWINS = {c["twin_of"]: c for c in load_cases(FIXTURES / "youtube")}


def _samples(path: Path, monkeypatch: pytest.MonkeyPatch, threads: int) -> list[tuple[float, str]]:
    monkeypatch.setenv("VIDVERIFY_DECODE_CHUNK_THREADS", str(threads))
    return [(f.time_s, hashlib.sha1(f.grey.tobytes()).hexdigest()) for f in _decode(path, 4.0)]


@pytest.mark.parametrize(
    "name",
    [
        "ok_vfr_frame_timing.mp4",
        "ok_go4_1080p60.mp4",
        "ok_fly_rotated_container.mp4",
        "twin:ok_fly_1080p30.mp4",
    ],
)
def test_chunks_give_the_frames_one_decoder_gives(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    path = ensure_twin(TWINS[name[5:]]) if name.startswith("twin:") else FIXTURES / name
    assert len(decode_chunks.plan(path)) >= 3  # long enough to be cut several times
    assert _samples(path, monkeypatch, 2) == _samples(path, monkeypatch, 1)


def test_a_sample_from_another_renderer_decodes_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    path = sorted(SAMPLES.glob("*.mp4"))[0]
    assert len(decode_chunks.plan(path)) >= 3
    assert _samples(path, monkeypatch, 2) == _samples(path, monkeypatch, 1)


def _encode(tmp_path: Path, name: str, *args: str) -> Path:
    out = tmp_path / name
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x240:rate=30:duration=12",
            *args,
            str(out),
        ],
        check=True,
    )
    return out


def test_i_frames_that_are_not_refresh_points_are_never_cut_at(tmp_path: Path) -> None:
    # Open GOPs: every I-frame but the first may be referred to across; no cut is safe.
    path = _encode(tmp_path, "open.mp4", "-c:v", "libx264", "-x264-params", "keyint=30:open-gop=1")
    assert len(decode_chunks.plan(path)) == 1
    closed = _encode(tmp_path, "closed.mp4", "-c:v", "libx264", "-x264-params", "keyint=30")
    assert len(decode_chunks.plan(closed)) == 3  # cuts at least four seconds apart


def test_other_containers_are_decoded_in_one_go(tmp_path: Path) -> None:
    path = _encode(tmp_path, "clip.mkv", "-c:v", "libx264", "-x264-params", "keyint=30")
    assert len(decode_chunks.plan(path)) == 1


def test_a_broken_chunk_ends_the_video_there(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = _encode(
        tmp_path, "clip.mp4", "-c:v", "libx264", "-x264-params", "keyint=30", "-movflags", "+faststart"
    )
    data = bytearray(src.read_bytes())
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(bytes(data[: len(data) * 2 // 3]))  # the index promises what is not there
    monkeypatch.setenv("VIDVERIFY_DECODE_CHUNK_THREADS", "2")
    times = [f.time_s for f in sample_frames(cut, 4.0)]
    assert times and times == sorted(times)
    assert all(b - a < 0.5 for a, b in zip(times, times[1:], strict=False))  # no hole: it just ends
    assert times[-1] < 11.0


def test_decoder_threads_end_when_the_reader_stops(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIDVERIFY_DECODE_CHUNK_THREADS", "2")
    for i, _ in enumerate(sample_frames(FIXTURES / "ok_go4_1080p60.mp4", 4.0)):
        if i == 5:
            break
    for t in threading.enumerate():
        if t.name.startswith("vidverify-decode"):
            t.join(5)
    assert not [t for t in threading.enumerate() if t.name.startswith("vidverify-decode")]
