"""Image preparation for OCR: which grey image makes which kind of screen text legible.

DJI screens put coloured words (green "Normal", red errors) on dark panels and white words on
coloured pills. No single grey conversion serves both: the per-pixel maximum of the colour
channels keeps coloured text bright on dark panels, the per-pixel minimum keeps white text
bright on a coloured pill while the pill itself goes dark.
"""

from __future__ import annotations

import cv2
import numpy as np


def max_channel(bgr: np.ndarray) -> np.ndarray:
    # cv2's element-wise max is ~20x faster than numpy's reduction over the channel axis.
    b, g, r = cv2.split(bgr)
    return cv2.max(cv2.max(b, g), r)


def min_channel(bgr: np.ndarray) -> np.ndarray:
    b, g, r = cv2.split(bgr)
    return cv2.min(cv2.min(b, g), r)


def local_bright_text(bgr: np.ndarray, frame_height: int | None = None) -> np.ndarray:
    """Black-on-white image of everything brighter than its neighbourhood.

    Tesseract's own page layout gives up on dialogs floating over a photo (it takes the whole
    area for a picture); thresholding against the local mean first leaves only the strokes of
    light text, which it then reads wherever they are. Dark UIs put light text on darker
    panels, so this keeps panels, dialogs and pills alike.
    """
    v = max_channel(bgr)
    block = (bgr.shape[0] // 40) | 1
    return cv2.adaptiveThreshold(
        v, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, max(block, 11), -25
    )


def text_ink(binary: np.ndarray) -> np.ndarray:
    """The ink of a black-on-white page without its vertical rules. A scroll bar or a panel's
    edge runs through every row of a list; counted as text, it would leave no blank row to cut
    at between two text lines."""
    ink = binary < 128
    rule_height = max(9, binary.shape[0] // 20)  # taller than any text line at page scale
    rules = cv2.morphologyEx(ink.view(np.uint8), cv2.MORPH_OPEN, np.ones((rule_height, 1), np.uint8)).astype(
        bool
    )
    return ink & ~rules


def text_rows(binary: np.ndarray) -> np.ndarray:
    """Per row of a black-on-white page: whether it holds text ink (see ``text_ink``)."""
    return text_ink(binary).any(axis=1)


def blank_row_near_middle(binary: np.ndarray, min_gap: int = 6, reach: float = 0.2) -> int | None:
    """A row in the middle of a black-on-white page, inside a band of ``min_gap`` rows without
    text: a place to cut the page in two without cutting a text line. None when the middle
    ``2 * reach`` of the page holds no such band."""
    h = binary.shape[0]
    ink = text_rows(binary)
    lo, hi = int(h * (0.5 - reach)), int(h * (0.5 + reach))
    best: int | None = None
    run = 0
    for y in range(lo, hi):
        run = 0 if ink[y] else run + 1
        if run >= min_gap:
            centre = y - run // 2
            if best is None or abs(centre - h // 2) < abs(best - h // 2):
                best = centre
    return best


def thumbnail_of_luma(luma: np.ndarray, limited_range: bool, width: int = 160) -> np.ndarray:
    """Small grey image for change signals, from a decoder's luma plane without any colour
    conversion; nearest-neighbour first because area resampling of a full 1080p frame costs
    ~5 ms and the change signal does not need it. Video luma usually spans 16-235; it is
    stretched to 0-255 so that thresholds on grey-level change mean the same as on a converted
    frame."""
    h, w = luma.shape[:2]
    step = max(1, w // (width * 2))
    height = max(1, round(width * h / w))
    small = cv2.resize(luma[::step, ::step], (width, height), interpolation=cv2.INTER_AREA)
    if limited_range:
        small = cv2.convertScaleAbs(small, alpha=255 / 219, beta=-16 * 255 / 219)
    return small


def for_line(bgr_crop: np.ndarray, target_height: int = 56) -> np.ndarray:
    """A single text line scaled to a comfortable height, dark text on white, with a border."""
    grey = max_channel(bgr_crop)
    h = grey.shape[0]
    if h <= 0:
        return grey
    scale = target_height / h
    grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    if grey.mean() < 128:
        grey = 255 - grey
    return cv2.copyMakeBorder(grey, 12, 12, 12, 12, cv2.BORDER_CONSTANT, value=255)


HUES = {
    "red": ((0, 10), (170, 180)),
    "orange": ((10, 22),),
    "yellow": ((22, 35),),
    "green": ((35, 90),),
}


def warm_mask(bgr: np.ndarray) -> np.ndarray:
    """Pixels of a saturated, bright red, orange or yellow: the colours apps draw warnings in."""
    hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)
    h, s, v = cv2.split(hsv)
    warm_hue = (h < HUES["yellow"][0][1]) | (h >= HUES["red"][1][0])
    return warm_hue & (s > 110) & (v > 130)


def text_colour(bgr_crop: np.ndarray) -> str | None:
    """The hue family of the text strokes in a box: its brightest pixels, not the background."""
    if bgr_crop.size == 0:
        return None
    v = bgr_crop.max(axis=2)
    strokes = v >= np.percentile(v, 80)
    return dominant_colour(bgr_crop, strokes)


def dominant_colour(bgr_crop: np.ndarray, mask: np.ndarray | None = None) -> str | None:
    """The hue family of the saturated pixels in a box (text or pill), or None when grey."""
    if bgr_crop.size == 0:
        return None
    hsv = cv2.cvtColor(bgr_crop, cv2.COLOR_BGR2HSV)
    sat = (hsv[..., 1] > 90) & (hsv[..., 2] > 90)
    if mask is not None:
        sat &= mask
        if sat.sum() < 0.3 * mask.sum():
            return None
    if sat.sum() < max(12, 0.04 * sat.size):
        return None
    hues = hsv[..., 0][sat]
    counts = {
        name: int(sum(((hues >= lo) & (hues < hi)).sum() for lo, hi in ranges))
        for name, ranges in HUES.items()
    }
    name, count = max(counts.items(), key=lambda kv: kv[1])
    return name if count >= 0.5 * len(hues) else None
