"""The facts the step detectors need, one extractor per screen kind, each a frozen dataclass.

Extractors take OCR lines (and the frame, where a colour is judged) and a template; they read
no pixels through Tesseract themselves, so they are tested from lists of lines. The About
page's serials are read in ``reading.about``: they need re-reads.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pipeline import preprocess
from pipeline.ocr import OcrLine
from pipeline.reading.classify import PERCENT
from pipeline.templates import Template
from pipeline.textmatch import first_claim, first_match, norm

# Bands of the frame, as fractions of its height: the phone's own status bar with the clock,
# and the app's top bar with the flight status, satellites and link signals.
PHONE_BAR = 0.055
APP_BAR = (0.03, 0.15)

_CLOCK = re.compile(r"(?<![\d:'°])([01]?\d|2[0-3])\s?[:.]\s?([0-5]\d)(?![\d'\"°%])")
_PITCH = re.compile(r"^[^\d-]{0,2}(-?\s?\d{1,2})\s?[°º](?!\d)")
_SMALL_INT = re.compile(r"(?<![\d.:'%°/])(\d{1,2})(?![\d%°'\":./])")
# Digits glued to a letter before them: the satellite icon is often read as a letter stuck to
# the count ("m4", "P17"), but sometimes as a digit of its own ("a0 17", "PIi7a" for 17).
_GLUED = re.compile(r"[A-Za-z]$")
MAX_SATELLITES = 60
WARM_COLOURS = ("red", "orange", "yellow")
WARM_INK_SHARE = 0.4  # of a count's strokes in a warning colour that make it a warning-coloured count


def centre_y(line: OcrLine) -> float:
    return line.y + line.h / 2


@dataclass(frozen=True)
class ClockReading:
    minutes: int  # since midnight
    text: str  # "HH:MM"
    line: OcrLine | None = None  # where it was read, in frame pixels (boxed in the evidence)


def parse_clock(text: str) -> ClockReading | None:
    """The phone's clock in a line of text, if there is one."""
    m = _CLOCK.search(text)
    if m is None:
        return None
    return ClockReading(int(m.group(1)) * 60 + int(m.group(2)), f"{int(m.group(1)):02d}:{m.group(2)}")


def first_clock(lines: Sequence[OcrLine]) -> ClockReading | None:
    for line in lines:
        clock = parse_clock(line.text)
        if clock is not None:
            return ClockReading(clock.minutes, clock.text, line)
    return None


@dataclass(frozen=True)
class BarFacts:
    """The app's top bar: the flight status text (pill) and the satellite count beside it."""

    text: str | None = None  # the status text
    bottom: int | None = None  # frame row just below the status text, when one was read
    colour: str | None = None  # the status pill's dominant colour
    ready: bool = False  # a ready word, and no error or weak-GPS word, in the status text
    gps_weak_words: tuple[str, ...] = ()
    errors: tuple[tuple[str, OcrLine], ...] = ()  # (phrase, line)
    satellites: int | None = None
    satellites_warm: bool = False  # the count was drawn red, orange or yellow: weak GPS
    satellites_glued: bool = False  # the count read only stuck to a letter (``_GLUED``)
    battery: int | None = None  # the aircraft battery percentage shown on the right of the bar
    battery_reads: int = 0  # how many of the bar's two reads gave that percentage
    clock: ClockReading | None = None  # the phone's clock, when the bar read took it in


def bar_facts(
    frame: np.ndarray,
    top_lines: Sequence[OcrLine],
    tpl: Template,
    warm_lines: Sequence[OcrLine] = (),
    right_lines: Sequence[OcrLine] = (),
    fallback_lines: Sequence[OcrLine] = (),
) -> BarFacts:
    """``warm_lines``: the bar's red, orange and yellow text, read apart (see
    ``TopBarReader.warm_lines``); a satellite count among them is a weak-GPS count. ``right_lines``:
    the bar's right side read as bright text on its neighbourhood, for the count and the
    battery when the status read lost them."""
    h, w = frame.shape[:2]
    clock = first_clock([x for x in top_lines if centre_y(x) < h * PHONE_BAR])
    bar = [x for x in top_lines if h * APP_BAR[0] <= centre_y(x) <= h * APP_BAR[1]]
    text: str | None = None
    bottom: int | None = None
    colour: str | None = None
    ready_now = False
    weak_words: list[str] = []
    errors: list[tuple[str, OcrLine]] = []
    for line in warm_lines:
        weak = first_claim(tpl.camera.gps_weak, line.text)
        if weak:
            weak_words.append(weak)
    for line in bar:
        ready = first_match(tpl.status.ready, line.text)
        error = first_claim(tpl.status.errors, line.text)
        weak = first_claim(tpl.camera.gps_weak, line.text)
        if weak:
            weak_words.append(weak)
        if (ready or error or weak) and text is None and line.x < w * 0.5:
            text = line.text
            # Just below the status text. A box that took in an icon or a pill's edge is taller
            # than the text: the bar's usual line height is trusted over it, or every later
            # read would carry a strip of the moving picture.
            text_h = min(line.h, int(np.median([x.h for x in bar])) + 4)
            bottom = int(centre_y(line) + text_h / 2 + max(8, text_h // 2))
            ready_now = bool(ready) and not error and not weak
            crop = frame[max(0, line.y - 4) : line.y + line.h + 4, max(0, line.x - 8) : line.x + line.w + 8]
            colour = preprocess.dominant_colour(crop)
            if error:
                errors.append((error, line))
    warm = [x for x in warm_lines if h * APP_BAR[0] <= centre_y(x) <= h * APP_BAR[1]]
    right = [x for x in right_lines if h * APP_BAR[0] <= centre_y(x) <= h * APP_BAR[1]]
    battery, reads = _agreed_battery(bar, right, w)
    warm_count = _satellites(warm, None, w, h)
    small = [x for x in fallback_lines if h * APP_BAR[0] <= centre_y(x) <= h * APP_BAR[1]]
    count = warm_count if warm_count is not None else _agreed_count(bar, right, text, w, h, small)
    anchor = next((x for x in bar if x.text == text), None)
    if count is None and not _satellites([*bar, *right], text, w, h, anchor):
        count = _satellites(small, text, w, h, anchor)
    elif count is not None and count.glued and count is not warm_count:
        # Only a count glued to a letter was read ("m4" is Fly's red 4, but "PIi7a" was a 17):
        # the small-text read, standing alone, confirms it or contradicts it, and two reads
        # that differ are no count at all (as in ``_agreed_count``): one read never decides.
        alone = _satellites(small, text, w, h, anchor)
        if alone is not None and not alone.glued:
            count = alone if alone.value == count.value else None
    return BarFacts(
        text=text,
        bottom=bottom,
        colour=colour,
        ready=ready_now,
        gps_weak_words=tuple(weak_words),
        errors=tuple(errors),
        satellites=count.value if count is not None else None,
        satellites_glued=count is not None and count.glued,
        satellites_warm=count is not None and (count is warm_count or _drawn_warm(frame, count)),
        battery=battery,
        battery_reads=reads,
        clock=clock,
    )


@dataclass(frozen=True)
class _Count:
    value: int
    line: OcrLine
    x: int  # where the number starts, in frame pixels (proportional within its line)
    width: int
    glued: bool = False  # a letter right before it: maybe the icon read as text, maybe not


def _satellites(
    bar: list[OcrLine], status_text: str | None, w: int, h: int, anchor: OcrLine | None = None
) -> _Count | None:
    """The first small number to the right of the status text in the app bar, on its row
    (``anchor``: the status line, when it was read in another read of the bar)."""
    candidates: list[tuple[int, int, _Count]] = []
    anchor = anchor or next((x for x in bar if x.text == status_text), None)
    for line in bar:
        if anchor is not None and abs(centre_y(line) - centre_y(anchor)) > anchor.h * 0.7:
            continue  # the picture under the bar is not the bar
        if line.x + line.w < w * 0.35:
            continue
        if line.h < h * 0.012:
            continue  # icon fragments read as digits are tiny
        per_char = line.w / max(1, len(line.text))
        for m in _SMALL_INT.finditer(line.text):
            value = int(m.group(1))
            if value <= MAX_SATELLITES:
                # Position of the number within the line, proportionally.
                x = line.x + int(per_char * m.start())
                if x > w * 0.35:
                    width = max(4, int(per_char * len(m.group(1))))
                    glued = bool(_GLUED.search(line.text[: m.start()]))
                    candidates.append((x, value, _Count(value, line, x, width, glued)))
    # A number standing on its own before one glued to a letter: "a0 17" is 17.
    return min(candidates, key=lambda c: (c[2].glued, c[0]))[2] if candidates else None


def _agreed_count(
    bar: list[OcrLine],
    right: list[OcrLine],
    status_text: str | None,
    w: int,
    h: int,
    small: Sequence[OcrLine] = (),
) -> _Count | None:
    """The count from the status read or the right-side read. When both read one and they
    differ, neither is trusted: a dropped digit turns 17 into 7, and a weak-GPS claim or an
    approval must not rest on which read lost it; unless the small-text read (``small``), a
    third reading, has a count standing on its own that agrees with one of them."""
    anchor = next((x for x in bar if x.text == status_text), None)
    a, b = _satellites(bar, status_text, w, h), _satellites(right, status_text, w, h, anchor)
    if a is not None and b is not None and a.value != b.value:
        third = _satellites(list(small), status_text, w, h, anchor)
        if third is not None and not third.glued and third.value in (a.value, b.value):
            return a if a.value == third.value else b
        return None
    return a or b


def _drawn_warm(frame: np.ndarray, count: _Count) -> bool:
    """Whether the count's own strokes are red, orange or yellow: the app's weak-GPS colour.
    The strokes are the pixels that stand out from the box's median; the warm share is taken
    of them alone, not of the box (a warm picture behind a white count is not a warm count)."""
    line = count.line
    pad = max(2, line.h // 6)
    crop = frame[
        max(0, line.y - pad) : line.y + line.h + pad, max(0, count.x - pad) : count.x + count.width + pad
    ]
    if crop.size == 0:
        return False
    grey = preprocess.max_channel(crop).astype(np.int16)
    ink = np.abs(grey - int(np.median(grey))) > 40
    if int(ink.sum()) < 8:
        return False
    return float(preprocess.warm_mask(crop)[ink].mean()) >= WARM_INK_SHARE


_PERCENT_VALUE = re.compile(r"(?<![\d.])(\d{1,3})\s?%")


def _battery(bar: Sequence[OcrLine], w: int) -> int | None:
    """The first percentage right of the bar's middle: the aircraft battery in both apps."""
    for line in sorted(bar, key=lambda x: x.x):
        if line.x + line.w < w * 0.5:
            continue
        m = _PERCENT_VALUE.search(line.text)
        if m and int(m.group(1)) <= 100:
            return int(m.group(1))
    return None


def _agreed_battery(bar: Sequence[OcrLine], right: Sequence[OcrLine], w: int) -> tuple[int | None, int]:
    """The battery from the status read and the right-side read, and how many agree on it; two
    that differ are no reading at all."""
    a, b = _battery(bar, w), _battery(right, w)
    if a is not None and b is not None:
        return (a, 2) if a == b else (None, 0)
    value = a if a is not None else b
    return value, 0 if value is None else 1


def phone_battery(lines: Sequence[OcrLine], w: int) -> int | None:
    """The phone's own battery percentage, right of the middle of its status strip."""
    return _battery(lines, w)


@dataclass(frozen=True)
class CameraFacts:
    """The live view: the gimbal pitch readout below the bar, and the warnings shown anywhere on
    it (a weak-GPS banner across the picture, a toast, a lost-link notice)."""

    pitch: int | None = None
    gps_weak_words: tuple[str, ...] = ()
    link_weak_words: tuple[str, ...] = ()


def camera_facts(lines: Sequence[OcrLine], frame_height: int, tpl: Template | None = None) -> CameraFacts:
    pitch: int | None = None
    for line in lines:
        m = _PITCH.match(line.text.strip())
        if m and centre_y(line) > frame_height * APP_BAR[1]:
            pitch = int(m.group(1).replace(" ", ""))
            break
    if tpl is None:
        return CameraFacts(pitch)
    gps = tuple(w for w in (first_claim(tpl.camera.gps_weak, x.text) for x in lines) if w)
    link = tuple(w for w in (first_claim(tpl.camera.link_weak, x.text) for x in lines) if w)
    return CameraFacts(pitch, gps, link)


@dataclass(frozen=True)
class CalibrationFacts:
    percent: int | None = None
    progress: bool = False
    done: bool = False
    failed: bool = False


def calibration_facts(texts: Sequence[str], tpl: Template) -> CalibrationFacts:
    """A percentage counts on a progress line, or on a line with one of the template's
    ``percent_words`` (the dialog's own name); 100 % unfailed is done."""
    words = tpl.calibration
    percent: int | None = None
    progress = done = failed = False
    for text in texts:
        if first_claim(words.failed, text):
            failed = True
        elif first_match(words.done, text):
            done = True
        elif first_match(words.progress, text):
            progress = True
        m = PERCENT.search(text)
        squeezed = norm(text).replace(" ", "")  # CJK text comes back with spaces between characters
        if m and (progress or any(norm(w).replace(" ", "") in squeezed for w in words.percent_words)):
            value = int(m.group(1))
            if value <= 100:
                percent = value
    if percent == 100 and not failed:
        done = True
    return CalibrationFacts(percent, progress, done, failed)


@dataclass(frozen=True)
class StatusFacts:
    errors: tuple[tuple[str, OcrLine], ...] = ()  # (phrase, line)
    warn_colour_lines: tuple[OcrLine, ...] = ()  # rows in a warning colour, words or not
    end_seen: bool = False  # one of the list's last rows was read


def status_facts(frame: np.ndarray, lines: Sequence[OcrLine], tpl: Template) -> StatusFacts:
    w = frame.shape[1]
    errors: list[tuple[str, OcrLine]] = []
    coloured: list[OcrLine] = []
    end_seen = False
    for line in lines:
        phrase = first_claim(tpl.status.errors, line.text)
        if phrase:
            errors.append((phrase, line))
        if first_match(tpl.status.end_rows, line.text):
            end_seen = True
        letters = sum(c.isalpha() for c in line.text)
        if line.x > w * 0.3 and letters >= 3 and line.confidence >= 50:
            crop = frame[line.y : line.y + line.h, line.x : line.x + line.w]
            if preprocess.text_colour(crop) in WARM_COLOURS:
                coloured.append(line)
    return StatusFacts(tuple(errors), tuple(coloured), end_seen)
