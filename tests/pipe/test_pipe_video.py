"""The sampling decoder: container times, a decode thread that never outlives its reader, and
skipped frames that change nothing a reader could see."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from pipeline.video import UnreadableVideo, probe, sample_frames

VIDEO = Path(__file__).resolve().parents[2] / "fixtures" / "videos" / "ok_go4_720p30.mp4"


def _decode_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("vidverify-decode")]


def test_samples_follow_a_four_per_second_grid() -> None:
    info = probe(VIDEO)
    frames = list(sample_frames(VIDEO, 4.0))
    times = [f.time_s for f in frames]
    assert times[0] == 0.0
    assert all(b > a for a, b in zip(times, times[1:], strict=False))
    # every tick is served by a frame at most two frame intervals after it
    assert max(np.diff(times)) <= 0.25 + 2 / info.fps + 1e-6
    assert abs(len(frames) - info.duration_s * 4) <= 2
    first = frames[0]
    assert first.image.shape == (info.height, info.width, 3)
    assert first.grey.shape == (info.height, info.width)


def test_decode_thread_ends_when_the_reader_stops() -> None:
    for i, _ in enumerate(sample_frames(VIDEO, 4.0)):
        if i == 3:
            break
    deadline = time.monotonic() + 5
    while _decode_threads() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _decode_threads() == []


def test_truncated_file_yields_what_it_holds(tmp_path: Path) -> None:
    data = VIDEO.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])  # faststart: the index survives, the tail does not
    times = [f.time_s for f in sample_frames(cut, 4.0)]
    full = probe(VIDEO).duration_s
    assert 2.0 < times[-1] < full - 2.0


def test_not_a_video_is_unreadable(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.mp4"
    bogus.write_text("not a video at all\n" * 50)
    with pytest.raises(UnreadableVideo):
        list(sample_frames(bogus, 4.0))


def test_skipped_frames_change_no_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    """Leaving non-reference frames undecoded must not change what is read: each sample is
    bit-exact against the same frame from a full decode."""
    fast = {round(f.time_s, 3): f.image.astype(np.int16) for f in sample_frames(VIDEO, 4.0)}
    monkeypatch.setenv("VIDVERIFY_DECODE_ALL", "1")
    full = {
        round(f.time_s, 3): f.image.astype(np.int16)
        for f in sample_frames(VIDEO, 1000.0)  # every frame
        if round(f.time_s, 3) in fast
    }
    assert set(full) == set(fast)
    assert all(np.array_equal(fast[t], full[t]) for t in fast)


def test_one_decoding_thread_gives_the_same_frames(monkeypatch: pytest.MonkeyPatch) -> None:
    """Up to 1080p60 one thread decodes (frame threads cost a third more CPU); what it decodes
    is what a multi-threaded decode gives."""
    single = {round(f.time_s, 3): f.image for f in sample_frames(VIDEO, 4.0)}
    monkeypatch.setenv("VIDVERIFY_DECODE_THREADS", "2")
    threaded = {round(f.time_s, 3): f.image for f in sample_frames(VIDEO, 4.0)}
    assert set(single) == set(threaded)
    assert all(np.array_equal(single[t], threaded[t]) for t in single)
