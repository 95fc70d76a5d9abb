"""The rectangle the app occupies in the recording, so that every region is read relative to it.

Recordings reach us letterboxed (a landscape app in a portrait recording, a 16:9 app in a 4:3
frame), pillarboxed, or with black padding that an editor or an upload added. Everything the
reader knows about positions (the top bar is the top 15 %, the clock sits in the top 4 %) is
about the app's picture, not the file's frame; read against the whole frame, a letterboxed
recording shows no top bar at all and nothing is recognised.

Bars are found on the temporal maximum of the first samples: a bar is black in every frame,
while even a dark app draws something (text, icons, a picture) on each of its rows and
columns over a few seconds. Only bars that reach the frame's edge and cover a real share of
it are cut: a dark picture edge is not a bar.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np

BAR_LEVEL = 28  # luma at or under which a row or column counts as black (limited range: 16)
MIN_BAR_SHARE = 0.03  # of the frame's side: thinner dark edges are the app's own
CONTENT_SHARE = 0.004  # of a row's pixels that must be brighter than a bar for it to be content
SAMPLES_NEEDED = 8  # about two seconds at four samples a second


@dataclass(frozen=True)
class Rect:
    x: int
    y: int
    w: int
    h: int

    def crop(self, image: np.ndarray) -> np.ndarray:
        return image[self.y : self.y + self.h, self.x : self.x + self.w]

    def is_whole(self, width: int, height: int) -> bool:
        return self.x == 0 and self.y == 0 and self.w == width and self.h == height


def _content_span(profile: np.ndarray, size: int) -> tuple[int, int]:
    """First and last index of content along one axis; bars only when thick enough."""
    rows = np.flatnonzero(profile)
    if rows.size == 0:
        return 0, size
    lo, hi = int(rows[0]), int(rows[-1]) + 1
    min_bar = max(2, int(size * MIN_BAR_SHARE))
    if lo < min_bar:
        lo = 0
    if size - hi < min_bar:
        hi = size
    return lo, hi


def find_rect(peak: np.ndarray) -> Rect:
    """The app's rectangle in a temporal-maximum luma image (full resolution or a thumbnail)."""
    h, w = peak.shape[:2]
    bright = peak > BAR_LEVEL
    rows = bright.mean(axis=1) > CONTENT_SHARE
    cols = bright.mean(axis=0) > CONTENT_SHARE
    y0, y1 = _content_span(rows, h)
    x0, x1 = _content_span(cols, w)
    if y1 - y0 < h * 0.2 or x1 - x0 < w * 0.2:
        return Rect(0, 0, w, h)  # nearly all black: nothing to go by, keep the frame
    # Even sizes: decoders and resizers prefer them, and a pixel at the edge is never text.
    return Rect(x0, y0, (x1 - x0) // 2 * 2, (y1 - y0) // 2 * 2)


class RectFinder:
    """Collects the first samples' luma and settles the rectangle once enough were seen."""

    def __init__(self, needed: int = SAMPLES_NEEDED) -> None:
        self._needed = needed
        self._peak: np.ndarray | None = None
        self._seen = 0
        self.rect: Rect | None = None

    def add(self, luma: np.ndarray) -> Rect | None:
        """The rectangle once settled; None while still collecting."""
        if self.rect is not None:
            return self.rect
        self._peak = luma.copy() if self._peak is None else np.maximum(self._peak, luma)
        self._seen += 1
        if self._seen >= self._needed:
            self.rect = find_rect(self._peak)
            self._peak = None
        return self.rect

    def finish(self) -> Rect | None:
        """For a recording shorter than the collection: decide on what was seen."""
        if self.rect is None and self._peak is not None:
            self.rect = find_rect(self._peak)
            self._peak = None
        return self.rect


class AppFrame:
    """A decoded frame seen through the app's rectangle (and the container's rotation): the
    same ``time_s``, ``grey``, ``image`` and ``limited_range`` as the frame, for the app alone."""

    def __init__(self, frame: FrameLike, rect: Rect | None, quarter_turns: int = 0) -> None:
        self._frame = frame
        self._rect = rect
        self._turns = quarter_turns % 4
        self.time_s = frame.time_s
        self.limited_range = frame.limited_range
        self._image: np.ndarray | None = None

    def _view(self, plane: np.ndarray) -> np.ndarray:
        if self._turns:
            plane = np.ascontiguousarray(np.rot90(plane, k=self._turns))
        return self._rect.crop(plane) if self._rect is not None else plane

    @property
    def grey(self) -> np.ndarray:
        return self._view(self._frame.grey)

    @property
    def image(self) -> np.ndarray:
        if self._image is None:
            self._image = np.ascontiguousarray(self._view(self._frame.image))
        return self._image


class FrameLike(Protocol):
    time_s: float

    @property
    def grey(self) -> np.ndarray: ...

    @property
    def image(self) -> np.ndarray: ...

    @property
    def limited_range(self) -> bool: ...


def app_frames(frames: Iterable[FrameLike], quarter_turns: int | None = None) -> Iterator[AppFrame]:
    """The frames cut to the app's rectangle. The first few are held back until the rectangle is
    settled (about two seconds of samples: a few decoded frames in memory), then all flow
    through; a recording without bars is passed through uncut. ``quarter_turns``: counter-
    clockwise turns to display the picture upright; by default from the first frame's
    ``rotation`` (the container's display matrix)."""
    frames = iter(frames)
    first = next(frames, None)
    if first is None:
        return
    if quarter_turns is None:
        quarter_turns = round(getattr(first, "rotation", 0) / 90) % 4
    yield from _cut(itertools.chain([first], frames), quarter_turns)


def _cut(frames: Iterable[FrameLike], quarter_turns: int) -> Iterator[AppFrame]:
    finder = RectFinder()
    held: list[FrameLike] = []
    rect: Rect | None = None
    settled = False
    for frame in frames:
        if not settled:
            grey = frame.grey
            if quarter_turns:
                grey = np.rot90(grey, k=quarter_turns)
            found = finder.add(grey)
            held.append(frame)
            if found is None:
                continue
            settled = True
            h, w = grey.shape[:2]
            rect = None if found.is_whole(w, h) else found
            for early in held:
                yield AppFrame(early, rect, quarter_turns)
            held = []
            continue
        yield AppFrame(frame, rect, quarter_turns)
    if not settled and held:
        found = finder.finish()
        h, w = (np.rot90(held[0].grey, k=quarter_turns) if quarter_turns else held[0].grey).shape[:2]
        rect = None if found is None or found.is_whole(w, h) else found
        for early in held:
            yield AppFrame(early, rect, quarter_turns)
