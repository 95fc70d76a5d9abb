"""The frame scheduler's decisions from synthetic thumbnails: which samples are read, held, or
read only through the top bar."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from pipeline.reading import ScreenKind
from pipeline.schedule import (
    FULL_REFRESH_S,
    IDLE_REFRESH_S,
    MIN_TILT_SHIFT,
    FramePlanner,
    ReadMode,
    vertical_shift,
)

SHAPE = (90, 160)
STEP = 0.25


def _flat(level: int) -> np.ndarray:
    return np.full(SHAPE, level, np.uint8)


def _texture(seed: int = 0, roll: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = (rng.random((SHAPE[0] * 3, SHAPE[1])) * 255).astype(np.uint8)
    img = np.ascontiguousarray(np.kron(img[::4, ::4], np.ones((4, 4), np.uint8)))
    return img[SHAPE[0] + roll : 2 * SHAPE[0] + roll]


def _run(thumbs: list[np.ndarray], screen: ScreenKind | None = None) -> tuple[list[float], list[float]]:
    """Times read now and times read as the held frame, ``screen`` being every read's screen."""
    planner = FramePlanner()
    now: list[float] = []
    held: list[float] = []
    last: ScreenKind | None = None
    for k, thumb in enumerate(thumbs):
        sample, plan = planner.offer(k * STEP, thumb, last)
        if plan.read_held is not None:
            held.append(plan.read_held.time_s)
            last = screen
        if plan.read_now:
            now.append(sample.time_s)
            last = screen
    return now, held


def test_the_first_sample_is_read_and_a_still_screen_only_every_idle_refresh() -> None:
    now, held = _run([_flat(40)] * 30)
    assert now == [0.0, IDLE_REFRESH_S] and held == []


def test_a_new_screen_is_read_once_it_holds_still() -> None:
    thumbs = [_flat(40)] * 4 + [_flat(200)] * 4
    now, _ = _run(thumbs)
    assert now == [0.0, 1.25]  # changed at 1.0 (settling), still at 1.25


def test_the_settled_end_of_a_screen_is_read_before_the_next_one() -> None:
    a = _flat(40)
    end = a.copy()
    end[:2] = 200  # a page scrolled a little: more than slight, less than another screen
    thumbs = [a, a, end, end, _flat(200), _flat(200)]
    now, held = _run(thumbs)
    assert held == [0.75] and now == [0.0, 1.25]


def test_a_camera_picture_sliding_is_panning_not_a_new_screen() -> None:
    thumbs = [_texture(roll=r) for r in (0, 3, 6, 9, 12, 15)]
    in_camera, _ = _run(thumbs, ScreenKind.CAMERA)
    elsewhere, _ = _run(thumbs, ScreenKind.SETTINGS)
    assert in_camera == [0.0]
    assert len(elsewhere) > 1


def test_a_camera_view_is_read_through_its_bar_until_a_full_refresh_is_due() -> None:
    planner = FramePlanner()
    sample, _ = planner.offer(0.0, _flat(40), None)
    assert planner.read_mode(sample, True, None) is ReadMode.FULL
    later, _ = planner.offer(2.0, _flat(40), ScreenKind.CAMERA)
    assert planner.read_mode(later, False, ScreenKind.CAMERA) is ReadMode.BAR
    assert planner.read_mode(later, True, ScreenKind.CAMERA) is ReadMode.FULL  # layout changed
    due, _ = planner.offer(2.0 + FULL_REFRESH_S, _flat(40), ScreenKind.CAMERA)
    assert planner.read_mode(due, False, ScreenKind.CAMERA) is ReadMode.FULL
    page, _ = planner.offer(2.5 + FULL_REFRESH_S, _flat(40), ScreenKind.ABOUT)
    assert planner.read_mode(page, False, ScreenKind.ABOUT) is ReadMode.FULL


def test_the_last_held_frame_is_read_at_the_end_if_it_differs() -> None:
    planner = FramePlanner()
    planner.offer(0.0, _flat(40), None)
    same, _ = planner.offer(0.25, _flat(40), None)
    assert planner.finish() is None
    planner = FramePlanner()
    planner.offer(0.0, _flat(40), None)
    end = _flat(40)
    end[:3] = 200
    changed, plan = planner.offer(0.25, end, None)
    assert not plan.read_now and planner.finish() is changed


# A 20:9 recording (2400x1080) has 160x72 thumbnails: the halves of their middle window are
# 24 and 25 rows, a size at which OpenCV's phase correlation is biased by half a row.
WIDE = (72, 160)


def _wide_texture(seed: int = 0, roll: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = (rng.random((WIDE[0] * 3, WIDE[1])) * 255).astype(np.uint8)
    img = cv2.GaussianBlur(np.kron(img[::4, ::4], np.ones((4, 4), np.uint8)), (0, 0), 1.5)
    return np.ascontiguousarray(img[WIDE[0] + roll : 2 * WIDE[0] + roll])


def test_a_still_picture_has_no_shift_at_any_thumbnail_size() -> None:
    for shape in (SHAPE, WIDE, (120, 160), (68, 160)):
        rng = np.random.default_rng(1)
        img = cv2.GaussianBlur((rng.random(shape) * 255).astype(np.uint8), (0, 0), 2)
        assert abs(vertical_shift(img, img.copy())) < MIN_TILT_SHIFT, shape


def test_a_true_tilt_is_still_measured_on_a_wide_thumbnail() -> None:
    assert vertical_shift(_wide_texture(), _wide_texture(roll=3)) == pytest.approx(-3, abs=0.6)


def test_a_camera_view_that_stops_tilting_is_read_again_on_a_wide_recording() -> None:
    """The picture read mid-tilt is not the one the view settles on: once it holds still, it
    is a new screen to read. Before the bias was removed, every still sample of a 20:9 camera
    view measured half a row of tilt, the view never stopped "panning", and the status list
    that followed was read through the camera view's bar only."""
    planner = FramePlanner()
    planner.offer(0.0, _wide_texture(roll=0), None)
    t = STEP
    for roll in (8, 16, 24):
        _, plan = planner.offer(t, _wide_texture(roll=roll), ScreenKind.CAMERA)
        assert not plan.new_screen  # tilting
        t += STEP
    settled = []
    for _ in range(4):
        _, plan = planner.offer(t, _wide_texture(roll=24), ScreenKind.CAMERA)
        settled.append(plan.new_screen)
        t += STEP
    assert settled[0]
