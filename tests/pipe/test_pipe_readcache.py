"""A region reader's band memory and the page diff: the same text is read once, any changed
word is read again."""

from __future__ import annotations

import cv2
import numpy as np

from pipeline.preprocess import blank_row_near_middle, text_rows
from pipeline.reading.memory import LOOKS_PER_BAND, BandMemory, unchanged
from pipeline.reading.page_diff import changed_bands


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
    cache = BandMemory()
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


def test_a_flickering_band_is_read_once_per_look() -> None:
    """A satellite count going 20, 21, 20, 21 is two looks of the bar, each read once."""
    cache = BandMemory()
    calls: list[str] = []

    def compute(grey: np.ndarray) -> str:
        calls.append("read")
        return f"read {len(calls)}"

    looks = [_band(f"Ready to Go  {n}", 10, seed) for seed, n in enumerate([20, 21, 20, 21, 20])]
    results = [cache.read("bar", look, compute) for look in looks]
    assert results == ["read 1", "read 2", "read 1", "read 2", "read 1"]
    assert len(calls) == 2


def test_only_the_latest_looks_are_kept() -> None:
    cache = BandMemory()
    calls: list[int] = []

    def compute(grey: np.ndarray) -> int:
        calls.append(1)
        return len(calls)

    for n in range(LOOKS_PER_BAND + 1):
        cache.read("bar", _band(f"Ready to Go  {n}"), compute)
    assert cache.read("bar", _band(f"Ready to Go  {LOOKS_PER_BAND}"), compute) == LOOKS_PER_BAND + 1
    assert cache.read("bar", _band("Ready to Go  0"), compute) == LOOKS_PER_BAND + 2  # forgotten


def test_a_scroll_bar_leaves_blank_rows_to_cut_at() -> None:
    """A list's scroll bar and panel edge run through every row: they are not text, and the
    page can still be cut between two rows of it."""
    page = _page(ROWS)
    page[:, 880:884] = 0  # scroll bar
    page[:, 2:4] = 0  # panel edge
    rows = text_rows(page)
    assert not rows[55:65].any()  # between the first two rows
    assert rows[30:40].any()  # inside the first row's text
    cut = blank_row_near_middle(page)
    assert cut is not None and not text_rows(page)[cut]
    bands = changed_bands(page, _with_rule(_page(ROWS[:1] + ["Calibrating 60%"] + ROWS[2:])), [])
    assert bands is not None and len(bands) == 1 and bands[0][1] - bands[0][0] < 80


def _with_rule(page: np.ndarray) -> np.ndarray:
    page[:, 880:884] = 0
    page[:, 2:4] = 0
    return page
