"""Follow a scrolled page: keep the lines that only moved, read only what came into view.

A list scrolled by a few rows changes every row of the page, so the row-band comparison of
``readcache.changed_bands`` finds it "mostly changed" and the page is read whole again, though
all but a row or two of its text was read a moment before. Here the scroll offset is measured
on the part of the page that changed, each line of the last read is looked for at its old place
moved by that offset (or not moved: headers and side panels stay), and only rows holding ink
that no found line explains are read again.
"""

from __future__ import annotations

import cv2
import numpy as np

from pipeline.ocr import OcrLine
from pipeline.preprocess import text_ink, text_rows
from pipeline.readcache import PAGE_ROW_INK, grow_bands, outside_bands

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
