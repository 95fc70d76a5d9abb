"""Following a scrolled list: lines that only moved are kept at their new places, the rows that
came into view are read, a row whose text changed while it moved is read again, and a page that
did not scroll is left to the whole-page read."""

from __future__ import annotations

import cv2
import numpy as np

from pipeline.ocr import OcrLine, TesserocrEngine
from pipeline.reading.page_diff import follow_scroll, same_text, scroll_offset

ROWS = [
    ("Overall Status", "Normal"),
    ("Module Self-check", "Normal"),
    ("Flight Mode", "P-GPS"),
    ("Compass", "Normal"),
    ("IMU", "Normal"),
    ("ESC Status", "Normal"),
    ("Vision Sensors", "Normal"),
    ("Remote Controller Mode", "Mode 2"),
    ("Radio Channel Quality", "Excellent"),
    ("Remote Controller Battery", "67%"),
    ("Aircraft Battery", "80%"),
    ("Aircraft Battery Temperature", "31 C"),
]
HEADER = 70  # the panel's title stays put; the list scrolls under it
ROW = 52


def _page(offset: int, rows: list[tuple[str, str]] = ROWS) -> np.ndarray:
    """Black-on-white list scrolled down by ``offset`` pixels, with a fixed title and a scroll bar."""
    page = np.full((460, 900), 255, np.uint8)
    for i, (label, value) in enumerate(rows):
        y = HEADER + 40 + i * ROW - offset
        if HEADER + 20 <= y <= page.shape[0] - 5:
            cv2.putText(page, label, (20, y), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 0, 2)
            cv2.putText(page, value, (700, y), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 0, 2)
    page[:HEADER] = 255
    cv2.putText(page, "Aircraft Status", (330, 45), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 2)
    page[HEADER:, 880:884] = 0  # scroll bar
    return page


def _read(page: np.ndarray) -> list[OcrLine]:
    return TesserocrEngine().read_lines(page, dark_on_light=True)


def test_the_scroll_offset_is_measured() -> None:
    assert scroll_offset(_page(0), _page(37)) in (-38, -37, -36)
    assert scroll_offset(_page(0), _page(0)) is None


def _row_y(i: int, offset: int) -> int:
    """The baseline of list row ``i`` on a page scrolled by ``offset``."""
    return HEADER + 40 + i * ROW - offset


def test_moved_lines_are_kept_and_only_new_rows_read() -> None:
    before, after = _page(0), _page(120)
    followed = follow_scroll(before, _read(before), after)
    assert followed is not None
    kept, bands = followed
    kept_texts = " ".join(x.text for x in kept)
    assert "Vision Sensors" in kept_texts and "Aircraft Status" in kept_texts
    for line in kept:  # each kept line sits on ink of the current page, where it moved to
        assert (after[line.y : line.y + line.h, line.x : line.x + line.w] < 128).any()
    vision = next(x for x in kept if x.text == "Vision Sensors")
    assert abs(vision.y + vision.h - _row_y(6, 120)) <= 3
    assert 0 < sum(b - a for a, b in bands) < after.shape[0] * 0.5
    # The rows that came into view ("Remote Controller Mode" ...) are in a band to read.
    assert any(a <= _row_y(7, 120) - 10 and b >= _row_y(7, 120) for a, b in bands)


def test_a_row_that_changed_while_moving_is_read_again() -> None:
    before = _page(0)
    changed = list(ROWS)
    changed[3] = ("Compass", "Error")
    after = _page(120, changed)
    followed = follow_scroll(before, _read(before), after)
    assert followed is not None
    kept, bands = followed
    row = _row_y(3, 120)
    assert not any(x.y <= row <= x.y + x.h + 4 and x.x > 600 for x in kept)  # no stale "Normal"
    assert any(a <= row - 10 and b >= row for a, b in bands)


def test_another_screen_is_not_a_scroll() -> None:
    other = np.full((460, 900), 255, np.uint8)
    cv2.putText(other, "Gimbal Calibration", (200, 200), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 0, 2)
    cv2.putText(other, "Calibrating 40%", (200, 300), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 0, 2)
    before = _page(0)
    assert follow_scroll(before, _read(before), other) is None


def test_same_text_tolerates_a_pixel_but_not_a_digit() -> None:
    def line(text: str, dx: int = 0) -> np.ndarray:
        img = np.full((40, 300), 255, np.uint8)
        cv2.putText(img, text, (10 + dx, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 0, 2)
        return img

    assert same_text(line("Battery 67%"), line("Battery 67%"))
    assert same_text(line("Battery 67%"), line("Battery 67%", 1))
    assert not same_text(line("Battery 67%"), line("Battery 68%"))
    assert not same_text(line("Normal"), line("Error"))


def test_a_line_not_found_again_has_its_rows_read_even_if_its_twin_was() -> None:
    """Status lists repeat the same word in the same column ("Normal", "Normal", ...): a line
    that is not found again must not pass for found because a twin of it was."""
    before = _page(0)
    gone = list(ROWS)
    gone[3] = ("Compass", "")  # its value vanished while the list scrolled
    after = _page(120, gone)
    lines = _read(before)
    compass_value = next(x for x in lines if x.x > 600 and abs(x.y + x.h - _row_y(3, 0)) <= 4)
    assert compass_value.text == "Normal"
    followed = follow_scroll(before, lines, after)
    assert followed is not None
    kept, bands = followed
    # The rows where that "Normal" was are read again, though other "Normal"s were found.
    top, bottom = compass_value.y, compass_value.y + compass_value.h
    assert any(a <= top and b >= bottom for a, b in bands)
    assert any(x.text == "Normal" for x in kept)


def test_a_band_reaching_past_the_image_is_read_within_it() -> None:
    """A changed band whose margin reaches above the page's first row (-6 on an 800-px About
    page) crashed the check with an empty crop; it is the rows that exist that get read."""
    from pipeline.reading.work import read_band

    page = np.full((120, 600), 255, np.uint8)
    cv2.putText(page, "Aircraft SN", (10, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 0, 2)
    engine = TesserocrEngine()
    lines = read_band(engine, page, -6, 45)
    assert any("Aircraft" in x.text for x in lines)
    assert read_band(engine, page, 130, 160) == [] and read_band(engine, page, 50, 50) == []
