"""The app's rectangle: black bars cut, the app's own dark edges kept."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.frame_rect import Rect, app_frames, find_rect


def _app(h: int, w: int, seed: int = 0) -> np.ndarray:
    """A dark app picture with text-like bright specks on every row and column band."""
    rng = np.random.default_rng(seed)
    img = np.full((h, w), 30, np.uint8)
    img[rng.random((h, w)) < 0.03] = 220
    return img


def _boxed(canvas: tuple[int, int], app: np.ndarray, x: int, y: int) -> np.ndarray:
    out = np.full(canvas, 16, np.uint8)
    out[y : y + app.shape[0], x : x + app.shape[1]] = app
    return out


def test_portrait_letterbox() -> None:
    frame = _boxed((1920, 1080), _app(608, 1080), 0, 656)
    assert find_rect(frame) == Rect(0, 656, 1080, 608)


def test_pillarbox() -> None:
    frame = _boxed((1080, 1920), _app(1080, 1440), 240, 0)
    assert find_rect(frame) == Rect(240, 0, 1440, 1080)


def test_full_frame_is_kept() -> None:
    frame = _app(1080, 1920)
    assert find_rect(frame).is_whole(1920, 1080)


def test_thin_dark_edge_is_the_apps_own() -> None:
    frame = _app(1080, 1920)
    frame[:20] = 16  # 1.9 % of the height: a dark strip of the app, not a bar
    assert find_rect(frame).is_whole(1920, 1080)


def test_all_black_keeps_the_frame() -> None:
    assert find_rect(np.full((720, 1280), 16, np.uint8)).is_whole(1280, 720)


@dataclass
class _Frame:
    time_s: float
    grey: np.ndarray
    image: np.ndarray
    limited_range: bool = True


def test_app_frames_crop_every_frame_including_the_held_ones() -> None:
    frames = []
    for i in range(12):
        grey = _boxed((1920, 1080), _app(608, 1080, seed=i), 0, 656)
        frames.append(_Frame(i / 4, grey, np.dstack([grey] * 3)))
    out = list(app_frames(frames))
    assert [f.time_s for f in out] == [f.time_s for f in frames]
    assert all(f.grey.shape == (608, 1080) and f.image.shape == (608, 1080, 3) for f in out)


def test_app_frames_short_recording_still_cut() -> None:
    grey = _boxed((1080, 1920), _app(1080, 1440), 240, 0)
    out = list(app_frames([_Frame(0.0, grey, np.dstack([grey] * 3))]))
    assert out[0].grey.shape == (1080, 1440)


def test_rotation_turns_before_cutting() -> None:
    app = _app(1080, 1920)
    stored = np.rot90(app, k=-1)  # stored portrait, displayed landscape
    out = list(app_frames([_Frame(0.0, stored, np.dstack([stored] * 3))], quarter_turns=1))
    assert out[0].grey.shape == (1080, 1920)
    assert np.array_equal(out[0].grey, app)
