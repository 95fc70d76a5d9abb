"""One reader per region of the screen, each with its own memory of what it read last.

- ``ClockReader``: the phone's clock strip, enlarged; its looks are remembered.
- ``TopBarReader``: the app's top bar; remembers its looks, the row below the status text and
  the last lines a full read took (they stand in for the app's marker words on a page).
- ``PageReader``: the page under the bar; remembers the last page read and reads again only
  the rows that changed or scrolled into view (``page_diff``).

A reader's memory only saves reads: the lines it returns are those a fresh read would give
(within the band-comparison tolerance).
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass

import cv2
import numpy as np

from pipeline import preprocess
from pipeline.ocr import OcrEngine, OcrLine
from pipeline.reading.facts import APP_BAR
from pipeline.reading.memory import BandMemory
from pipeline.reading.page_diff import changed_bands, follow_scroll, outside_bands
from pipeline.reading.work import ocr, read_bands, read_whole

PHONE_CLOCK = 0.04  # of the frame height: the strip with the phone's clock
# Screen text at 1080p is 25-40 px tall; Tesseract reads it as well at two thirds of that,
# in about half the time. Serial values are re-read from the full-resolution frame anyway.
OCR_MAX_HEIGHT = 680
# Chinese, Japanese and Korean glyphs lose their strokes at that size: their models read best
# with text some 20-28 px tall, a page of about this height (a 720p page enlarged 1.25 times).
CJK_PAGE_HEIGHT = 900
CJK_MAX_SCALE = 1.5


class ClockReader:
    def __init__(self, engine: OcrEngine) -> None:
        self._engine = engine
        self.memory = BandMemory()

    def lines(self, frame: np.ndarray) -> list[OcrLine]:
        """The phone's clock strip, enlarged: in the app's top-bar read its small digits lose a
        leading 1 often enough to fake a jump of ten hours."""
        h = frame.shape[0]
        strip = preprocess.min_channel(frame[: max(8, int(h * PHONE_CLOCK))])

        def read(strip: np.ndarray) -> list[OcrLine]:
            grey = cv2.resize(strip, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
            if grey.mean() < 128:
                grey = 255 - grey
            grey = cv2.copyMakeBorder(grey, 10, 10, 10, 10, cv2.BORDER_CONSTANT, value=255)
            # Back to frame pixels: the evidence boxes the clock a finding relies on.
            return [x.shifted(-10, -10).shifted(0, 0, 2.0) for x in self._engine.read_lines(grey)]

        return self.memory.read("clock", strip, read)


def status_band(frame: np.ndarray) -> np.ndarray:
    """The app's top bar as its whole-band read takes it (the minimum channel, from the top of
    the frame, dark text on light): the only place a camera view shows words of its UI
    language, in its status text (left of ``RIGHT_FROM_X``). Read whole, neither cut there nor
    below the status line: cut, Tesseract finds no line in a Chinese, Japanese or Korean status
    pill over a bright picture on about a third of the fixtures' camera views; whole, on about
    one in eight."""
    return 255 - preprocess.min_channel(frame[: int(frame.shape[0] * APP_BAR[1])])


class TopBarReader:
    def __init__(self, engine: OcrEngine) -> None:
        self._engine = engine
        self._words = engine  # the model of the whole band's read: the UI language's
        self.memory = BandMemory()
        # The frame row just below the app's status line, from the last read that found it.
        self.bottom: int | None = None
        # The lines of the last full read's bar.
        self.last_lines: list[OcrLine] = []

    def use(self, engine: OcrEngine) -> None:
        """Read the status line with ``engine`` (the UI language's model) from now on; the
        readouts on the right (digits) stay with the Latin model. Old reads are forgotten."""
        self._words = engine
        self.memory = BandMemory()

    def lines(self, frame: np.ndarray) -> list[OcrLine]:
        """The app's top bar, down to the status line when the last read found one."""
        return self._whole_band(frame) if self.bottom is None else self._down_to_status(frame, self.bottom)

    def _whole_band(self, frame: np.ndarray) -> list[OcrLine]:
        """The top of the screen with the minimum channel, for white text on coloured pills.
        Full resolution and the whole band from the top: the satellite count and a red status
        pill are the smallest, least contrasted text that decides a verdict, and a band cut
        through the phone's own bar garbles the line below it. Given to Tesseract inverted, as
        dark text on light: the same words, read in two thirds of the time."""
        band = preprocess.min_channel(frame[: int(frame.shape[0] * APP_BAR[1])])
        return self._read_band("bar", band)

    def _down_to_status(self, frame: np.ndarray, bottom: int) -> list[OcrLine]:
        """The top band only down to the status line found by the last full read: in a camera
        view that keeps its layout nothing below it decides anything, and the moving picture
        there costs Tesseract more than the bar itself (GO 4: 39 ms instead of 88 ms)."""
        band = preprocess.min_channel(frame[: min(bottom, int(frame.shape[0] * APP_BAR[1]))])
        return self._read_band("bar-to-status", band)

    def _read_band(self, key: str, band: np.ndarray) -> list[OcrLine]:
        """The band in one read; in a UI language the Latin model cannot read, its left part
        (the status pill) in that language's model and the right part (satellites, signal,
        battery: digits) in the Latin one, so that the counts read as they always have."""
        if self._words is self._engine:
            return self.memory.read(key, band, lambda grey: ocr(self._engine, 255 - grey))
        x0 = int(band.shape[1] * RIGHT_FROM_X)
        words = self.memory.read(f"{key}-words", band[:, :x0], lambda grey: ocr(self._words, 255 - grey))
        digits = self.memory.read(
            f"{key}-digits", band[:, x0:], lambda grey: ocr(self._engine, 255 - grey, x0)
        )
        return words + digits

    def left_lines(self, frame: np.ndarray) -> list[OcrLine]:
        """The left of the bar (the status pill), as bright text against its neighbourhood, for
        when the bar's read found no status text. That read hands Tesseract the whole band,
        and its layout analysis can give up on the lot: a bright sky and a weak-GPS banner in
        one band left the green pill unread on a 1600x720 recording, which then counted as no
        camera view at all. In the UI language's model: the pill is words."""
        h, w = frame.shape[:2]
        top, bottom = int(h * APP_BAR[0]), int(h * APP_BAR[1])
        band = frame[top:bottom, : int(w * RIGHT_FROM_X)]
        if band.size == 0:
            return []
        binary = preprocess.local_bright_text(band, frame_height=h)
        return self.memory.read("bar-left", binary, lambda b: ocr(self._words, b, 0, top, dark_on_light=True))

    def right_lines(self, frame: np.ndarray) -> list[OcrLine]:
        """The right of the bar (satellites, link bars, battery), as bright text against its
        neighbourhood. White text over a bright sky has no contrast in the minimum channel the
        bar read uses: the satellite count was lost there on a daylight picture."""
        h, w = frame.shape[:2]
        top = int(h * APP_BAR[0])
        bottom = int(h * APP_BAR[1]) if self.bottom is None else min(self.bottom, int(h * APP_BAR[1]))
        x0 = int(w * RIGHT_FROM_X)
        band = frame[top:bottom, x0:]
        if band.size == 0:
            return []
        binary = preprocess.local_bright_text(band, frame_height=h)
        return self.memory.read(
            "bar-right", binary, lambda b: ocr(self._engine, b, x0, top, dark_on_light=True)
        )

    def small_text_lines(self, frame: np.ndarray) -> list[OcrLine]:
        """The right of the bar once more, for when neither read above found the satellite
        count: bright strokes against their own neighbourhood (a top-hat of the minimum
        channel), enlarged twice when the text is small (720p: 10 px glyphs, where Tesseract
        reads the count "17" beside its icon as "pi?"), then a global threshold."""
        h, w = frame.shape[:2]
        top = int(h * APP_BAR[0])
        bottom = int(h * APP_BAR[1]) if self.bottom is None else min(self.bottom, int(h * APP_BAR[1]))
        x0 = int(w * RIGHT_FROM_X)
        band = frame[top:bottom, x0:]
        if band.size == 0:
            return []
        grey = preprocess.min_channel(band)
        kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (max(9, h // 80 | 1),) * 2)
        grey = cv2.morphologyEx(grey, cv2.MORPH_TOPHAT, kernel)
        scale = 2.0 if h < SMALL_TEXT_BELOW else 1.0
        if scale > 1.0:
            grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
        _, binary = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
        binary = cv2.copyMakeBorder(binary, 12, 12, 12, 12, cv2.BORDER_CONSTANT, value=255)

        def read(b: np.ndarray) -> list[OcrLine]:
            lines = self._engine.read_lines(b, dark_on_light=True)
            return [x.shifted(-12, -12).shifted(x0, top, scale) for x in lines]

        return self.memory.read("bar-small", binary, read)

    def warm_lines(self, frame: np.ndarray) -> WarmText:
        """Red, orange and yellow text on the right of the bar. The bar read above takes the
        minimum channel, where white text shines and coloured text vanishes; a satellite count
        drawn red or yellow is the app saying the GPS is weak. Such glyphs are found by their
        colour (after 4:2:0 subsampling a thin stroke keeps its colour only roughly: enough to
        find it, not to read it) and read in the minimum channel with a local threshold, each
        row of them apart. Nothing warm there, the usual case: no read at all."""
        h, w = frame.shape[:2]
        top = int(h * APP_BAR[0])
        bottom = int(h * APP_BAR[1]) if self.bottom is None else min(self.bottom, int(h * APP_BAR[1]))
        x0 = int(w * WARM_FROM_X)
        region = frame[top:bottom, x0:]
        if region.size == 0:
            return WarmText(False, [])
        mask = _glyph_sized(preprocess.warm_mask(region), h, w)
        if int(mask.sum()) < WARM_MIN_PIXELS:
            return WarmText(False, [])
        lines: list[OcrLine] = []
        for k, (y0, y1) in enumerate(_row_bands(mask)):
            xs = np.flatnonzero(mask[y0:y1].any(axis=0))
            pad = max(6, int(h * 0.012))
            ya, yb = max(0, y0 - pad), min(region.shape[0], y1 + pad)
            xa, xb = max(0, int(xs[0]) - pad), min(region.shape[1], int(xs[-1]) + pad)
            crop = preprocess.min_channel(region[ya:yb, xa:xb])
            key = f"bar-warm-{k}"
            lines += self.memory.read(
                key, crop, lambda g, dx=x0 + xa, dy=top + ya: self._read_warm(g, dx, dy)
            )
        return WarmText(True, lines)

    def _read_warm(self, grey: np.ndarray, dx: int, dy: int) -> list[OcrLine]:
        big = cv2.resize(grey, None, fx=3, fy=3, interpolation=cv2.INTER_CUBIC)
        binary = cv2.adaptiveThreshold(big, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, 63, 8)
        binary = cv2.copyMakeBorder(binary, 12, 12, 12, 12, cv2.BORDER_CONSTANT, value=255)
        lines = self._engine.read_lines(binary, dark_on_light=True)
        return [x.shifted(-12, -12).shifted(dx, dy, 3.0) for x in lines]


@dataclass(frozen=True)
class WarmText:
    """Warm-coloured glyphs in the app bar: whether any were seen, and what could be read."""

    seen: bool
    lines: list[OcrLine]


WARM_FROM_X = 0.3  # of the width: the status pill on the left has a colour of its own
RIGHT_FROM_X = 0.35  # of the width: where the bar's signal and battery readouts begin
SMALL_TEXT_BELOW = 900  # frame heights under which the bar's text is enlarged before reading
WARM_MIN_PIXELS = 40
GLYPH_MAX = (0.05, 0.06)  # of the frame's height and width: larger warm shapes are banners, pills


def _glyph_sized(mask: np.ndarray, frame_h: int, frame_w: int) -> np.ndarray:
    """The mask without shapes larger than a glyph or an icon: a warm banner or pill is a
    coloured ground, and its white words would read as noise in the mask."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    keep = np.zeros(n, bool)
    keep[1:] = (stats[1:, cv2.CC_STAT_HEIGHT] <= frame_h * GLYPH_MAX[0]) & (
        stats[1:, cv2.CC_STAT_WIDTH] <= frame_w * GLYPH_MAX[1]
    )
    return keep[labels]


def _row_bands(mask: np.ndarray) -> list[tuple[int, int]]:
    """Runs of mask rows with any pixel set, split where a few empty rows lie between."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return []
    bands: list[tuple[int, int]] = []
    start = prev = int(rows[0])
    for r in map(int, rows[1:]):
        if r - prev > 3:
            bands.append((start, prev + 1))
            start = r
        prev = r
    bands.append((start, prev + 1))
    return bands


def page_image(frame: np.ndarray, height: int, max_scale: float = 1.0) -> tuple[np.ndarray, float]:
    """The page as Tesseract reads it: scaled to ``height`` (enlarged at most ``max_scale``
    times), bright text made black on white; and the scale."""
    scale = min(max_scale, height / frame.shape[0])
    if scale < 1.0:
        frame = cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    elif scale > 1.0:
        frame = cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    return preprocess.local_bright_text(frame), scale


class PageReader:
    def __init__(
        self, engine: OcrEngine, pool: Executor, height: int = OCR_MAX_HEIGHT, max_scale: float = 1.0
    ) -> None:
        self._engine = engine
        self._pool = pool
        self._height = height  # pages are read at this height, or the frame's when smaller...
        self._max_scale = max_scale  # ...unless they may be enlarged up to this
        # The last page read: its binarised image and its lines, in that image's pixels.
        self.last: tuple[np.ndarray, list[OcrLine]] | None = None

    def lines(self, frame: np.ndarray, compare: bool = True) -> list[OcrLine]:
        """The whole page, in frame pixels. Only the row bands that changed since the last page
        read are read again (a calibration percentage, a toggled row), or those that scrolled
        into view; a page read whole is cut in two halves at a blank row and read on two
        threads: a page is the largest single read there is. ``compare``: False when the last
        read showed a live picture (a camera view), which leaves no row unchanged and scrolls
        nowhere: the comparison would only cost a phase correlation of the whole page."""
        binary, scale = page_image(frame, self._height, self._max_scale)
        bands: list[tuple[int, int]] | None = None
        kept: list[OcrLine] = []
        if self.last is not None and compare:
            previous, previous_lines = self.last
            bands = changed_bands(previous, binary, [(x.y, x.y + x.h) for x in previous_lines])
            if bands is not None:
                kept = outside_bands(previous_lines, bands)
            else:
                scrolled = follow_scroll(previous, previous_lines, binary)
                if scrolled is not None:
                    kept, bands = scrolled
        if bands is None:
            lines = read_whole(self._engine, self._pool, binary)
        else:
            lines = kept + read_bands(self._engine, self._pool, binary, bands)
        lines.sort(key=lambda x: (x.y, x.x))
        self.last = (binary, lines)
        return [line.shifted(0, 0, scale) for line in lines]
