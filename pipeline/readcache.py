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

T = TypeVar("T")

PIXEL_DELTA = 40  # grey levels of change that count for a pixel
TILE = 16  # pixels of the compared (half-resolution) band per tile side
TILE_SHARE = 0.02  # of a tile's pixels changed beyond PIXEL_DELTA that makes the band "changed"


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
        self._last: dict[str, tuple[np.ndarray, object, int | None]] = {}
        self.hits = 0
        self.misses = 0

    def read(
        self,
        key: str,
        grey: np.ndarray,
        compute: Callable[[np.ndarray], T],
        extent: Callable[[T], int | None] | None = None,
    ) -> T:
        """``compute(grey)``, or the last result for ``key`` if the band is unchanged. ``extent``
        names, from a result, the rows down to which the band matters (a top bar over a moving
        picture): rows below it are not compared."""
        small = grey[::2, ::2]
        last = self._last.get(key)
        if last is not None:
            rows = last[2]
            a, b = (last[0], small) if rows is None else (last[0][: rows // 2 + 1], small[: rows // 2 + 1])
            if unchanged(a, b):
                self.hits += 1
                return last[1]  # type: ignore[return-value]
        value = compute(grey)
        self._last[key] = (small.copy(), value, extent(value) if extent else None)
        self.misses += 1
        return value
