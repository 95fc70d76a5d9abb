"""Reuse the OCR of a screen band whose pixels have not changed since it was last read.

The phone's clock strip and the app's top bar sit still over a moving camera picture for
minutes; reading them again at every refresh gives the same words at a fifth of a full read
each time. A band is "unchanged" when no small tile of it has changed beyond noise: a changed
digit or status word changes its own tile a lot, a re-encoded or translucent background changes
many tiles a little.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import cv2
import numpy as np

from pipeline.ocr import OcrLine
from pipeline.preprocess import text_rows

T = TypeVar("T")

PIXEL_DELTA = 40  # grey levels of change that count for a pixel
TILE = 16  # pixels of the compared (half-resolution) band per tile side
TILE_SHARE = 0.02  # of a tile's pixels changed beyond PIXEL_DELTA that makes the band "changed"
LOOKS_PER_BAND = 4  # earlier looks of a band kept with their reads


def unchanged(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two grey bands of one size show the same text (see module docstring)."""
    if a.shape != b.shape:
        return False
    changed = (cv2.absdiff(a, b) > PIXEL_DELTA).astype(np.float32)
    h, w = changed.shape
    tiles = cv2.resize(changed, (max(1, w // TILE), max(1, h // TILE)), interpolation=cv2.INTER_AREA)
    return float(tiles.max()) < TILE_SHARE


class ReadCache:
    """Last read per named band, for one video."""

    def __init__(self) -> None:
        self._last: dict[str, list[tuple[np.ndarray, object]]] = {}
        self.hits = 0
        self.misses = 0
        # The last full-page read: its binarised image and its lines, in that image's pixels.
        self.page: tuple[np.ndarray, list[OcrLine]] | None = None
        # The frame row just below the app's status line, from the last read that found it.
        self.bar_bottom: int | None = None
        # The lines of the last top-bar read, and the screen kind of the last full read.
        self.top_lines: list[OcrLine] = []
        self.screen: str | None = None
        # Serial values read again alone: ((row text, value crop at a fixed size), its reads).
        self.rereads: list[tuple[tuple[str, np.ndarray], list[tuple[str, float]]]] = []

    def read(self, key: str, grey: np.ndarray, compute: Callable[[np.ndarray], T]) -> T:
        """``compute(grey)``, or an earlier result for ``key`` if the band looks the same as
        when it was read. A few looks are kept per band, the latest first: a satellite count
        flickering between 20 and 21 changes the bar back and forth, and each look is read once."""
        small = grey[::2, ::2]
        looks = self._last.setdefault(key, [])
        for i, (seen, value) in enumerate(looks):
            if unchanged(seen, small):
                self.hits += 1
                looks.insert(0, looks.pop(i))
                return value  # type: ignore[return-value]
        value = compute(grey)
        looks.insert(0, (small.copy(), value))
        del looks[LOOKS_PER_BAND:]
        self.misses += 1
        return value


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
