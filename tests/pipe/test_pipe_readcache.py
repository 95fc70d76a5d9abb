"""The band cache: the same text is read once, any changed word is read again."""

from __future__ import annotations

import cv2
import numpy as np

from pipeline.readcache import ReadCache, changed_bands, unchanged


def _band(text: str, noise: int = 0, seed: int = 0) -> np.ndarray:
    img = np.full((60, 800), 40, np.uint8)
    cv2.putText(img, text, (10, 42), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 255, 2)
    if noise:
        rng = np.random.default_rng(seed)
        img = cv2.add(img, rng.integers(0, noise, img.shape, dtype=np.uint8))
    return img


def test_noise_is_unchanged_and_a_digit_is_a_change() -> None:
    assert unchanged(_band("10:41  Ready to Go", 12, 1), _band("10:41  Ready to Go", 12, 2))
    assert not unchanged(_band("10:41  Ready to Go"), _band("10:42  Ready to Go"))
    assert not unchanged(_band("Ready to Go"), _band("Compass Error"))
    assert not unchanged(_band("a"), _band("a")[:50])


def test_cache_computes_only_on_change() -> None:
    cache = ReadCache()
    calls: list[int] = []

    def compute(grey: np.ndarray) -> list[int]:
        calls.append(1)
        return [len(calls)]

    first = cache.read("bar", _band("10:41 Ready"), compute)
    again = cache.read("bar", _band("10:41 Ready", 10, 3), compute)
    other_key = cache.read("clock", _band("10:41 Ready"), compute)
    changed = cache.read("bar", _band("10:42 Ready"), compute)
    assert first == again == [1] and other_key == [2] and changed == [3]
    assert (cache.hits, cache.misses) == (1, 3)


def _page(rows: list[str]) -> np.ndarray:
    """Black text on white, one row of text every 60 px."""
    img = np.full((60 * len(rows) + 20, 900), 255, np.uint8)
    for i, text in enumerate(rows):
        cv2.putText(img, text, (10, 60 * i + 45), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 2)
    return img


ROWS = ["Gimbal Calibration", "Calibrating 40%", "Keep the aircraft level", "Cancel", "Settings"]


def test_only_the_changed_row_is_read_again() -> None:
    before, after = _page(ROWS), _page(ROWS[:1] + ["Calibrating 60%"] + ROWS[2:])
    bands = changed_bands(before, after, [])
    assert bands is not None and len(bands) == 1
    top, bottom = bands[0]
    assert top >= 60 and bottom <= 125  # the second row's strip, no other row
    assert changed_bands(before, before.copy(), []) == []


def test_band_grows_over_a_line_read_before() -> None:
    before, after = _page(ROWS), _page(ROWS[:1] + ["Calibrating 60%"] + ROWS[2:])
    # a line box from the last read that straddles the changed strip and the row above
    bands = changed_bands(before, after, [(20, 100)])
    assert bands is not None and bands[0][0] <= 20 and bands[0][1] >= 100


def test_whole_page_when_resized_or_mostly_changed() -> None:
    before = _page(ROWS)
    assert changed_bands(before, before[:-10], []) is None
    rng = np.random.default_rng(1)
    picture = (rng.integers(0, 2, before.shape) * 255).astype(np.uint8)  # a binarised camera view
    assert changed_bands(before, picture, []) is None
    every_row = changed_bands(before, _page([r[::-1] for r in ROWS]), [])
    assert every_row is not None and len(every_row) == len(ROWS)
