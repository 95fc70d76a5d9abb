"""What changed on a black-on-white page since its last read: row bands that differ, or lines
that only moved because the list scrolled.

Row bands: a calibration percentage or a toggled row changes a strip of the page; only that
strip is read again, widened to blank rows so that no cut runs through a text line.

Scrolling: a list scrolled by a few rows changes every row of the page, so the row-band
comparison finds it "mostly changed" and the page would be read whole again, though all but a
row or two of its text was read a moment before. Here the scroll offset is measured on the part
of the page that changed, each line of the last read is looked for at its old place moved by
that offset (or not moved: headers and side panels stay), and only rows holding ink that no
found line explains are read again.
"""

from __future__ import annotations

import cv2
import numpy as np

from pipeline.ocr import OcrLine
from pipeline.preprocess import text_ink, text_rows

PAGE_ROW_INK = 3  # differing pixels in a row of the binarised page that make it "changed"
PAGE_MARGIN = 4  # rows added around a change before looking for blank rows to cut at
PAGE_MAX_SHARE = 0.6  # above this share of changed rows a page is read whole


def changed_bands(
    previous: np.ndarray, current: np.ndarray, previous_boxes: list[tuple[int, int]]
) -> list[tuple[int, int]] | None:
    """Row bands of a black-on-white page that differ from the previous read of the same
    screen, each widened to blank rows (no cut through a text line) and over any previously read
    line it touches. None when the page must be read whole: another size, or mostly changed.
    ``previous_boxes`` are the (top, bottom) rows of the lines read last time."""
    if previous.shape != current.shape:
        return None
    diff = (cv2.absdiff(previous, current) > 127).sum(axis=1) >= PAGE_ROW_INK
    if not diff.any():
        return []
    if diff.mean() > PAGE_MAX_SHARE:
        return None
    return grow_bands(diff, text_rows(current) | text_rows(previous), previous_boxes)


def grow_bands(
    changed: np.ndarray, ink: np.ndarray, boxes: list[tuple[int, int]]
) -> list[tuple[int, int]] | None:
    """Row bands around the ``changed`` rows, widened to rows without ``ink`` (no cut through a
    text line) and over any of the ``boxes`` (top, bottom) they touch. None when they cover most
    of the page: one read of the whole is then cheaper than many of its parts."""
    h = changed.shape[0]
    bands: list[list[int]] = []
    for y in np.flatnonzero(changed):
        y0, y1 = max(0, y - PAGE_MARGIN), min(h, y + PAGE_MARGIN + 1)
        if bands and y0 <= bands[-1][1]:
            bands[-1][1] = max(bands[-1][1], y1)
        else:
            bands.append([y0, y1])
    grown = True
    while grown:
        grown = False
        for band in bands:
            while band[0] > 0 and ink[band[0] - 1]:
                band[0] -= 1
                grown = True
            while band[1] < h and ink[band[1]]:
                band[1] += 1
                grown = True
            for top, bottom in boxes:
                if top < band[1] and bottom > band[0] and (top < band[0] or bottom > band[1]):
                    band[0], band[1] = min(band[0], top), max(band[1], bottom)
                    grown = True
        bands.sort()
        merged: list[list[int]] = []
        for band in bands:
            if merged and band[0] <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], band[1])
            else:
                merged.append(band)
        bands = merged
        grown = grown and sum(b - a for a, b in bands) < h
    if sum(b - a for a, b in bands) > PAGE_MAX_SHARE * h:
        return None
    return [(int(a), int(b)) for a, b in bands]


def outside_bands(lines: list[OcrLine], bands: list[tuple[int, int]]) -> list[OcrLine]:
    """The lines that no band (top, bottom) touches: those a partial read keeps."""
    return [x for x in lines if not any(x.y < b and x.y + x.h > a for a, b in bands)]


MIN_RESPONSE = 0.1  # phase-correlation peak below which the change is not one piece moving
# (low: a wrong offset costs only the line checks, every kept line is compared pixel by pixel)
MIN_SHIFT = 2  # rows; less is no scroll
STRAY_PIXELS = 3  # pixels of one line's tile that may be unexplained by the other line's ink


def scroll_offset(previous: np.ndarray, current: np.ndarray) -> int | None:
    """Rows by which the changed part of a black-on-white page moved (negative: up, as when a
    list is scrolled on), or None when it did not move as one piece."""
    if previous.shape != current.shape:
        return None
    diff = cv2.absdiff(previous, current) > 127
    rows = np.flatnonzero(diff.sum(axis=1) >= PAGE_ROW_INK)
    cols = np.flatnonzero(diff.sum(axis=0) >= PAGE_ROW_INK)
    if rows.size < MIN_SHIFT or cols.size < MIN_SHIFT:
        return None
    y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    # At half resolution: a quarter of the cost, and the line search tries a row either side.
    a, b = (
        cv2.resize(img[y0:y1, x0:x1], None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA).astype(np.float32)
        for img in (previous, current)
    )
    # The window keeps the page's fixed edges (bars, panel borders) from voting for "no move".
    window = cv2.createHanningWindow((a.shape[1], a.shape[0]), cv2.CV_32F)
    (dx, dy), response = cv2.phaseCorrelate(a, b, window)
    shift = int(round(dy * 2))
    if response < MIN_RESPONSE or abs(dx) >= 1.0 or abs(shift) < MIN_SHIFT or abs(shift) > (y1 - y0) // 2:
        return None
    return shift


def same_text(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two black-on-white crops of one size hold the same strokes, give or take a
    pixel: a scroll by a fraction of a page pixel moves every stroke edge, a changed digit
    leaves strokes that are nowhere near the other crop's."""
    if a.shape != b.shape or a.size == 0:
        return False
    ink_a, ink_b = (a < 128).astype(np.uint8), (b < 128).astype(np.uint8)
    near = np.ones((3, 3), np.uint8)
    stray = (ink_a & (1 - cv2.dilate(ink_b, near))) | (ink_b & (1 - cv2.dilate(ink_a, near)))
    h, w = stray.shape
    tile = max(4, h)  # about one character wide
    per_tile = [int(stray[:, x : x + tile].sum()) for x in range(0, w, tile // 2)]
    return max(per_tile) <= STRAY_PIXELS


def follow_scroll(
    previous: np.ndarray, lines: list[OcrLine], current: np.ndarray
) -> tuple[list[OcrLine], list[tuple[int, int]]] | None:
    """The lines of the last read still on the page, at their new places, and the row bands
    left to read; None when the page did not scroll or too much of it is new. Lines and bands
    are in the pixels of the page images."""
    shift = scroll_offset(previous, current)
    if shift is None:
        return None
    h, w = current.shape[:2]
    # Ink the last read saw, where it was or moved along (icons and picture bits that are no
    # line of text), explains the same ink now; what is left is new.
    before = (previous < 128).view(np.uint8)
    moved = np.zeros_like(before)
    if shift < 0:
        moved[: h + shift] = before[-shift:]
    else:
        moved[shift:] = before[: h - shift]
    near = cv2.dilate(before | moved, np.ones((3, 3), np.uint8)).astype(bool)
    changed = (text_ink(current) & ~near).sum(axis=1) >= PAGE_ROW_INK
    found: list[OcrLine] = []
    for line in lines:
        x0, x1 = max(0, line.x), min(w, line.x + line.w)
        old = previous[max(0, line.y) : line.y + line.h, x0:x1]
        for dy in (shift, shift - 1, shift + 1, 0):
            top = max(0, line.y) + dy
            if top < 0 or top + old.shape[0] > h:
                continue
            if same_text(old, current[top : top + old.shape[0], x0:x1]):
                found.append(line.shifted(0, dy))
                break
        else:
            # Not found again: whatever is in its rows now may be anything, so they are read.
            changed[max(0, line.y) : line.y + line.h] = True
    if not changed.any():
        return found, []
    bands = grow_bands(changed, text_rows(current), [(x.y, x.y + x.h) for x in found])
    if bands is None:
        return None
    return outside_bands(found, bands), bands
