"""Which sampled frames are read: the frame scheduler's decisions, without video or OCR.

Every sampled frame (a few per second) gets a small grey thumbnail, its change against the
previous sample and its vertical shift (phase correlation): together under a millisecond.
``FramePlanner.offer`` takes one sample's thumbnail and decides, with named rules, whether it is
read now, kept back (held) as the last settled frame of its screen, or whether the held one
must be read first. ``read_mode`` decides how a read is done (in full, or the top bar only).
The driver that decodes and reads is ``timeline.build_timeline``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

import cv2
import numpy as np

from pipeline.reading.classify import ScreenKind

# Change is the percentage of thumbnail pixels whose grey level moved by more than PIXEL_DELTA:
# a scrolled list of small text changes few pixels, but each one by a lot.
PIXEL_DELTA = 24
CHANGE_THRESHOLD = 4.0  # "another screen"
STABLE_THRESHOLD = 1.5
SLIGHT_CHANGE = 0.2
SETTLE_S = 0.5  # a new screen is read once it holds still, or after changing this long
REFRESH_S = 2.0  # re-read a slowly changing screen this often
IDLE_REFRESH_S = 5.0  # and a static one this often (a clock may still tick)
SCROLLING_SCREENS = frozenset({ScreenKind.STATUS_LIST, ScreenKind.ABOUT, ScreenKind.SETTINGS})
SCROLL_REFRESH_S = 0.75
# The About page is read again this often while it stays: the serial vote needs readings from
# several frames, not one frame's (``serial_vote``).
ABOUT_REFRESH_S = 2.0
PAN_SHIFT = 0.5  # thumbnail rows of vertical shift between samples that mean "panning"
FULL_REFRESH_S = 10.0  # a camera view re-read through its top bar only is read in full this often
TINY = (32, 18)
NEVER = -1e9


@dataclass
class Sample:
    time_s: float
    change: float  # against the previous sample
    shift_y: float  # vertical image shift against the previous sample, in thumbnail rows
    thumb: np.ndarray | None  # released once a later frame is read (memory stays flat with length)
    observation: int | None = None  # index into Timeline.observations when read
    tiny: np.ndarray | None = None  # 32x18 grey, kept for the whole video (edit detection)

    def __post_init__(self) -> None:
        if self.tiny is None and self.thumb is not None:
            self.tiny = cv2.resize(self.thumb, TINY, interpolation=cv2.INTER_AREA)


def change(a: np.ndarray | None, b: np.ndarray) -> float:
    """Percentage of pixels that moved by more than PIXEL_DELTA grey levels (100: no ``a``)."""
    if a is None:
        return 100.0
    return float((cv2.absdiff(a, b) > PIXEL_DELTA).mean() * 100)


@lru_cache(maxsize=4)
def _window(width: int, height: int) -> np.ndarray:
    return cv2.createHanningWindow((width, height), cv2.CV_32F)


MIN_TILT_SHIFT = 0.3  # thumbnail rows: less is noise, not a tilt
STRIP_RESPONSE = 0.3  # a half of the window must correlate this clearly to speak for the picture


def _shift(a: np.ndarray, b: np.ndarray, min_response: float) -> float:
    """Vertical shift of ``b`` against ``a``, measured both ways round: OpenCV's phase
    correlation has a size-dependent bias (half a row on two identical 25-row strips, which a
    20:9 recording's thumbnail has), and a bias is the same both ways while a true shift
    changes sign, so the half-difference keeps the shift and drops the bias."""
    a, b = a.astype(np.float32), b.astype(np.float32)
    if a.std() < 2 or b.std() < 2:
        return 0.0
    window = _window(a.shape[1], a.shape[0])
    (_dx, forward), response = cv2.phaseCorrelate(a, b, window)
    if response < min_response:
        return 0.0
    (_dx, backward), _response = cv2.phaseCorrelate(b, a, window)
    return float(forward - backward) / 2


def vertical_shift(prev: np.ndarray, cur: np.ndarray) -> float:
    h, w = cur.shape
    # The middle of the picture: top and side bars are overlays that do not move with it.
    rows, cols = slice(int(h * 0.18), int(h * 0.85)), slice(int(w * 0.2), int(w * 0.8))
    dy = _shift(prev[rows, cols], cur[rows, cols], 0.2)
    if abs(dy) >= MIN_TILT_SHIFT:
        return dy
    # A still overlay across the middle (a warning banner) pins the whole window at zero: the
    # picture above or below it may still be moving.
    mid = (rows.start + rows.stop) // 2
    for part in (slice(rows.start, mid), slice(mid, rows.stop)):
        moved = _shift(prev[part, cols], cur[part, cols], STRIP_RESPONSE)
        if abs(moved) >= MIN_TILT_SHIFT:
            return moved
    return dy


@dataclass(frozen=True)
class Motion:
    """How a sample moved against the one before it: the two signals that need only the pair,
    so they can be measured as soon as the frame is decoded (``timeline``, on the decoding
    thread)."""

    change: float
    shift_y: float


def motion(prev: np.ndarray | None, thumb: np.ndarray) -> Motion:
    """``change`` and ``vertical_shift`` against the previous sample's thumbnail."""
    if prev is None:
        return Motion(100.0, 0.0)
    return Motion(change(prev, thumb), vertical_shift(prev, thumb))


def onset(samples: list[Sample], current: Sample) -> float:
    """The earliest time, since the previous read, from which the screen already looked like the
    current sample: reads are sparse, screen changes are not."""
    start = current.time_s
    for s in reversed(samples):
        if s is current:
            continue
        if s.observation is not None or change(s.thumb, current.thumb) > CHANGE_THRESHOLD:
            break
        start = s.time_s
    return start


class ReadMode(Enum):
    FULL = "full"
    BAR = "bar"  # the clock and the top bar only


@dataclass(frozen=True)
class Plan:
    """What to do with one offered sample, in this order."""

    read_held: Sample | None  # the held sample, to read before this one
    read_now: bool  # read this sample (else it is held)
    new_screen: bool  # this sample shows another screen than the last read


class FramePlanner:
    """The scheduler's state between samples and its decisions. ``offer`` each sample in
    order, do the reads its ``Plan`` asks for (telling ``read_mode`` of each), and read what
    ``finish`` returns at the end."""

    def __init__(self) -> None:
        self.prev_thumb: np.ndarray | None = None  # the previous sample's
        self.read_thumb: np.ndarray | None = None  # the last read sample's
        self.read_t = NEVER
        self.full_t = NEVER  # the last full read's time
        self.unstable_since: float | None = None  # start of the current run of changing samples
        self.held: Sample | None = None  # the previous sample, if it was not read

    # -- named decisions ---------------------------------------------------------------------
    @staticmethod
    def panning(last_screen: ScreenKind | None, shift: float) -> bool:
        """In a camera view, a picture sliding vertically is the gimbal tilting, not a new screen."""
        return last_screen is ScreenKind.CAMERA and abs(shift) >= PAN_SHIFT

    @staticmethod
    def scrolling(last_screen: ScreenKind | None, shift: float, since_read_s: float) -> bool:
        """A list scrolling under the finger keeps each row on screen for seconds: reading it at
        every sample would read the same rows again and again."""
        moving = abs(shift) >= PAN_SHIFT
        return last_screen in SCROLLING_SCREENS and moving and since_read_s < SCROLL_REFRESH_S

    def settling(self, time_s: float) -> bool:
        """The screen has been changing for less than SETTLE_S: wait for it to hold still."""
        return self.unstable_since is not None and time_s - self.unstable_since < SETTLE_S

    def held_is_settled_state(self) -> bool:
        """The held sample is a settled frame that differs from the last read: the final state
        of a screen about to be replaced (a scrolled page's last rows). A frame caught
        mid-transition is no such state."""
        held = self.held
        return (
            held is not None
            and held.change < STABLE_THRESHOLD
            and change(self.read_thumb, held.thumb) > SLIGHT_CHANGE
        )

    def due(
        self,
        new_screen: bool,
        time_s: float,
        since_read_s: float,
        since_read: float,
        last_screen: ScreenKind | None = None,
    ) -> bool:
        """Read now: the first sample, a new screen that settled, a slowly changing screen
        unread for REFRESH_S, an About page unread for ABOUT_REFRESH_S, or any screen unread
        for IDLE_REFRESH_S (a clock may tick)."""
        return (
            self.read_thumb is None
            or (new_screen and not self.settling(time_s))
            or (since_read_s >= REFRESH_S and since_read >= SLIGHT_CHANGE)
            or (last_screen is ScreenKind.ABOUT and not new_screen and since_read_s >= ABOUT_REFRESH_S)
            or since_read_s >= IDLE_REFRESH_S
        )

    # -- the protocol ------------------------------------------------------------------------
    def offer(
        self,
        time_s: float,
        thumb: np.ndarray,
        last_screen: ScreenKind | None,
        moved: Motion | None = None,
    ) -> tuple[Sample, Plan]:
        """One sample; ``last_screen``: the screen of the latest observation (None before any);
        ``moved``: its ``motion`` against the previous sample, if measured already."""
        moved = moved or motion(self.prev_thumb, thumb)
        shift = moved.shift_y
        sample = Sample(time_s, moved.change, shift, thumb)
        since_read = change(self.read_thumb, thumb)
        since_read_s = time_s - self.read_t
        new_screen = (
            since_read > CHANGE_THRESHOLD
            and not self.panning(last_screen, shift)
            and not self.scrolling(last_screen, shift, since_read_s)
        )
        if sample.change >= STABLE_THRESHOLD:
            self.unstable_since = time_s if self.unstable_since is None else self.unstable_since
        else:
            self.unstable_since = None
        read_held = self.held if new_screen and self.held_is_settled_state() else None
        if read_held is not None:
            self._mark_read(read_held)
        read_now = self.due(new_screen, time_s, since_read_s, since_read, last_screen)
        if read_now:
            self._mark_read(sample)
        self.held = None if read_now else sample
        self.prev_thumb = thumb
        return sample, Plan(read_held, read_now, new_screen)

    def read_mode(self, sample: Sample, new_screen: bool, previous: ScreenKind | None) -> ReadMode:
        """How ``sample`` is read: a camera view that kept its layout through its top bar only,
        but in full every FULL_REFRESH_S; anything else in full. ``previous``: the screen of
        the latest observation."""
        if previous is ScreenKind.CAMERA and not new_screen and sample.time_s - self.full_t < FULL_REFRESH_S:
            return ReadMode.BAR
        self.full_t = sample.time_s
        return ReadMode.FULL

    def finish(self) -> Sample | None:
        """The held sample, if it still differs from the last read: the end of the video."""
        held = self.held
        if held is not None and change(self.read_thumb, held.thumb) > SLIGHT_CHANGE:
            self._mark_read(held)
            self.held = None
            return held
        return None

    def _mark_read(self, sample: Sample) -> None:
        self.read_thumb, self.read_t = sample.thumb, sample.time_s
