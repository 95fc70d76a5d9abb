"""One pass over the video: cheap signals on every sample, OCR only where the screen changed.

Every sampled frame (a few per second) gets a small grey thumbnail, its change against the
previous sample and its vertical shift (phase correlation): together under a millisecond.
A frame is OCR'd only when it differs from the last OCR'd one, or when a slowly changing
screen (progress, scrolling, a panning camera) has gone unread for a while. The rest of the
pipeline works on the resulting ``Timeline``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from pipeline import preprocess
from pipeline.observe import Observation, observe, observe_bar
from pipeline.ocr import OcrEngine
from pipeline.readcache import ReadCache
from pipeline.templates import Template
from pipeline.video import Frame, sample_frames

log = logging.getLogger(__name__)

SAMPLES_PER_SECOND = 4.0
# Change is the percentage of thumbnail pixels whose grey level moved by more than PIXEL_DELTA:
# a scrolled list of small text changes few pixels, but each one by a lot.
PIXEL_DELTA = 24
CHANGE_THRESHOLD = 4.0  # "another screen"
STABLE_THRESHOLD = 1.5
SLIGHT_CHANGE = 0.2
SETTLE_S = 0.5  # a new screen is read once it holds still, or after changing this long
REFRESH_S = 2.0  # re-read a slowly changing screen this often
IDLE_REFRESH_S = 5.0  # and a static one this often (a clock may still tick)
SCROLLING_SCREENS = ("status_list", "about", "settings")
SCROLL_REFRESH_S = 0.75
PAN_SHIFT = 0.5  # thumbnail rows of vertical shift between samples that mean "panning"
FULL_REFRESH_S = 10.0  # a camera view re-read through its top bar only is read in full this often
EVIDENCE_WIDTH = 1280
TINY = (32, 18)

Progress = Callable[[float, str], None]


@dataclass
class Sample:
    time_s: float
    change: float  # against the previous sample
    shift_y: float  # vertical image shift against the previous sample, in thumbnail rows
    thumb: np.ndarray | None  # released once a later frame is read (memory stays flat with length)
    observation: int | None = None  # index into Timeline.observations when OCR'd
    tiny: np.ndarray | None = None  # 32x18 grey, kept for the whole video (edit detection)

    def __post_init__(self) -> None:
        if self.tiny is None and self.thumb is not None:
            self.tiny = cv2.resize(self.thumb, TINY, interpolation=cv2.INTER_AREA)


@dataclass
class Timeline:
    samples: list[Sample] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    images: dict[int, bytes] = field(default_factory=dict)  # observation index -> JPEG
    frame_size: tuple[int, int] = (0, 0)
    thumb_height: int = 0


def _change(a: np.ndarray | None, b: np.ndarray) -> float:
    if a is None:
        return 100.0
    return float((cv2.absdiff(a, b) > PIXEL_DELTA).mean() * 100)


def _onset(samples: list[Sample], current: Sample) -> float:
    """The earliest time, since the previous read, from which the screen already looked like the
    current sample: reads are sparse, screen changes are not."""
    onset = current.time_s
    for s in reversed(samples):
        if s is current:
            continue
        if s.observation is not None or _change(s.thumb, current.thumb) > CHANGE_THRESHOLD:
            break
        onset = s.time_s
    return onset


@lru_cache(maxsize=4)
def _window(width: int, height: int) -> np.ndarray:
    return cv2.createHanningWindow((width, height), cv2.CV_32F)


def _vertical_shift(prev: np.ndarray, cur: np.ndarray) -> float:
    h, w = cur.shape
    # The middle of the picture: top and side bars are overlays that do not move with it.
    a = prev[int(h * 0.18) : int(h * 0.85), int(w * 0.2) : int(w * 0.8)].astype(np.float32)
    b = cur[int(h * 0.18) : int(h * 0.85), int(w * 0.2) : int(w * 0.8)].astype(np.float32)
    if a.std() < 2 or b.std() < 2:
        return 0.0
    (dx, dy), response = cv2.phaseCorrelate(a, b, _window(a.shape[1], a.shape[0]))
    if response < 0.2:
        return 0.0
    return float(dy)


def build_timeline(
    path: Path,
    fps: float,
    total_frames: int,
    templates: tuple[Template, ...],
    engine: OcrEngine,
    keep_images: bool = False,
    progress: Progress | None = None,
) -> Timeline:
    tl = Timeline()
    cache = ReadCache()
    prev: np.ndarray | None = None
    last_ocr_thumb: np.ndarray | None = None
    last_ocr_t = -1e9
    held: tuple[Sample, Frame] | None = None  # the previous sample, if not OCR'd

    last_full_t = -1e9
    unstable_since: float | None = None  # start of the current run of changing samples

    def read(sample: Sample, frame: Frame, layout_changed: bool = True) -> None:
        nonlocal last_ocr_thumb, last_ocr_t, last_full_t
        image = frame.image
        previous = tl.observations[-1] if tl.observations else None
        if (
            previous is not None
            and previous.screen == "camera"
            and not layout_changed
            and sample.time_s - last_full_t < FULL_REFRESH_S
        ):
            obs = observe_bar(image, sample.time_s, previous, engine, cache)
        else:
            obs = observe(image, sample.time_s, templates, engine, cache)
            last_full_t = sample.time_s
        obs.onset_s = _onset(tl.samples, sample)
        # Nothing looks further back than the latest read: older thumbnails can go.
        for older in reversed(tl.samples):
            if older is sample:
                continue
            if older.thumb is None:
                break
            older.thumb = None
        log.debug("read %.2f %s %s", sample.time_s, "bar" if obs.light else "full", obs.screen)
        sample.observation = len(tl.observations)
        tl.observations.append(obs)
        last_ocr_thumb, last_ocr_t = sample.thumb, sample.time_s
        if keep_images:
            tl.images[sample.observation] = _jpeg(image)

    for frame in sample_frames(path, SAMPLES_PER_SECOND):
        luma = frame.grey
        if not tl.frame_size[0]:
            tl.frame_size = (luma.shape[1], luma.shape[0])
        thumb = preprocess.thumbnail_of_luma(luma, frame.limited_range)
        tl.thumb_height = thumb.shape[0]
        change = _change(prev, thumb)
        shift = _vertical_shift(prev, thumb) if prev is not None else 0.0
        since_ocr = _change(last_ocr_thumb, thumb)
        elapsed = frame.time_s - last_ocr_t
        # In a camera view, a picture sliding vertically is the gimbal tilting, not a new screen.
        last_screen = tl.observations[-1].screen if tl.observations else None
        panning = last_screen == "camera" and abs(shift) >= PAN_SHIFT
        # A list scrolling under the finger keeps each row on screen for seconds: reading it at
        # every sample would read the same rows again and again.
        scrolling = (
            last_screen in SCROLLING_SCREENS and abs(shift) >= PAN_SHIFT and elapsed < SCROLL_REFRESH_S
        )
        new_screen = since_ocr > CHANGE_THRESHOLD and not panning and not scrolling
        sample = Sample(frame.time_s, change, shift, thumb)
        log.debug(
            "%6.2f change=%5.1f shift=%5.2f since_read=%5.1f new=%d pan=%d scroll=%d",
            frame.time_s,
            change,
            shift,
            since_ocr,
            new_screen,
            panning,
            scrolling,
        )
        if change >= STABLE_THRESHOLD:
            unstable_since = frame.time_s if unstable_since is None else unstable_since
        else:
            unstable_since = None
        if (
            new_screen
            and held is not None
            and held[0].change < STABLE_THRESHOLD
            and _change(last_ocr_thumb, held[0].thumb) > SLIGHT_CHANGE
        ):
            # Another screen replaces this one: read the last, settled frame of the old one first,
            # so that the final state of a scrolled page is never skipped. A frame caught
            # mid-transition is no such state: the next settled frame is read instead.
            read(*held)
        settling = unstable_since is not None and frame.time_s - unstable_since < SETTLE_S
        if (
            last_ocr_thumb is None
            or (new_screen and not settling)
            or (elapsed >= REFRESH_S and since_ocr >= SLIGHT_CHANGE)
            or elapsed >= IDLE_REFRESH_S
        ):
            read(sample, frame, layout_changed=new_screen)
            held = None
        else:
            held = (sample, frame)
        tl.samples.append(sample)
        prev = thumb
        if progress and total_frames:
            progress(min(1.0, frame.time_s * fps / total_frames), "reading screens")
    if held is not None and _change(last_ocr_thumb, held[0].thumb) > SLIGHT_CHANGE:
        read(*held)
    return tl


def _jpeg(image: np.ndarray) -> bytes:
    h, w = image.shape[:2]
    if w > EVIDENCE_WIDTH:
        image = cv2.resize(
            image, (EVIDENCE_WIDTH, round(h * EVIDENCE_WIDTH / w)), interpolation=cv2.INTER_AREA
        )
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return buf.tobytes() if ok else b""
