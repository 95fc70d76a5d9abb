"""A region reader's memory: reuse the OCR of a band whose pixels have not changed since it was read.

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


class BandMemory:
    """The last few looks of each named band of one region, with what was read from them."""

    def __init__(self) -> None:
        self._last: dict[str, list[tuple[np.ndarray, object]]] = {}
        self.hits = 0
        self.misses = 0

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
