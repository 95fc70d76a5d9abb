"""What one OCR'd frame shows: its screen kind and the facts the step detectors need.

``observe`` is the only place that turns pixels into words; everything after it works on
``Observation`` values, which keeps the detectors small and testable without video.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

import cv2
import numpy as np

from pipeline import preprocess
from pipeline.ocr import READ_THREADS, OcrEngine, OcrLine
from pipeline.readcache import ReadCache, changed_bands, outside_bands
from pipeline.scroll import follow_scroll
from pipeline.templates import Template
from pipeline.textmatch import first_match, matches

# Bands of the frame, as fractions of its height: the phone's own status bar with the clock,
# and the app's top bar with the flight status, satellites and link signals.
PHONE_BAR = 0.055
PHONE_CLOCK = 0.04
APP_BAR = (0.03, 0.15)

SCREEN_PRIORITY = ("calibration", "status_list", "about", "settings")
PAGE_SCREENS = ("calibration", "about", "settings")  # full pages: no flight status bar decides

_CLOCK = re.compile(r"(?<![\d:'°])([01]?\d|2[0-3])\s?[:.]\s?([0-5]\d)(?![\d'\"°%])")
_PERCENT = re.compile(r"(\d{1,3})\s?%")
_PITCH = re.compile(r"^[^\d-]{0,2}(-?\s?\d{1,2})\s?[°º](?!\d)")
_SMALL_INT = re.compile(r"(?<![\d.:'%°/])(\d{1,2})(?![\d%°'\":./])")
_SERIAL_CHARS = re.compile(r"[^A-Z0-9]")

T = TypeVar("T")


@dataclass
class SerialRead:
    role: str  # "rc" | "aircraft"
    text: str  # alphanumerics as read, upper case
    confidence: float
    label_box: OcrLine
    value_box: OcrLine


@dataclass
class Observation:
    time_s: float
    lines: list[OcrLine]
    screen: str  # calibration | status_list | about | settings | camera | unknown
    onset_s: float | None = None  # when the screen first looked like this (set by the timeline)
    light: bool = False  # only the top bar was read (see observe_bar)
    app_scores: dict[str, int] = field(default_factory=dict)
    template: Template | None = None
    clock_min: int | None = None
    clock_text: str | None = None
    satellites: int | None = None
    bar_text: str | None = None
    bar_bottom: int | None = None  # frame row just below the status text, when one was read
    bar_colour: str | None = None
    bar_ready: bool = False
    gps_weak_words: list[str] = field(default_factory=list)
    error_lines: list[tuple[str, OcrLine]] = field(default_factory=list)  # (phrase, line)
    warn_colour_lines: list[OcrLine] = field(default_factory=list)
    status_end_seen: bool = False
    calib_percent: int | None = None
    calib_progress: bool = False
    calib_done: bool = False
    calib_failed: bool = False
    pitch: int | None = None
    serials: list[SerialRead] = field(default_factory=list)

    @property
    def texts(self) -> list[str]:
        return [line.text for line in self.lines]


# Screen text at 1080p is 25-40 px tall; Tesseract reads it as well at two thirds of that,
# in about half the time. Serial values are re-read from the full-resolution frame anyway.
OCR_MAX_HEIGHT = 680
BAND_PAD = 24  # white rows around a band read on its own


def _ocr(
    engine: OcrEngine, grey: np.ndarray, dx: int = 0, dy: int = 0, dark_on_light: bool = False
) -> list[OcrLine]:
    return [line.shifted(dx, dy) for line in engine.read_lines(grey, dark_on_light=dark_on_light)]


def _cached(
    cache: ReadCache | None, key: str, grey: np.ndarray, compute: Callable[[np.ndarray], list[OcrLine]]
) -> list[OcrLine]:
    return compute(grey) if cache is None else cache.read(key, grey, compute)


def _ocr_bar(engine: OcrEngine, frame: np.ndarray, cache: ReadCache | None = None) -> list[OcrLine]:
    """The top of the screen with the minimum channel, for white text on coloured pills. Full
    resolution and the whole band from the top: the satellite count and a red status pill are
    the smallest, least contrasted text that decides a verdict, and a band cut through the
    phone's own bar garbles the line below it. Given to Tesseract inverted, as dark text on
    light: the same words, read in two thirds of the time."""
    band = preprocess.min_channel(frame[: int(frame.shape[0] * APP_BAR[1])])
    return _cached(cache, "bar", band, lambda grey: _ocr(engine, 255 - grey))


def _ocr_bar_to(engine: OcrEngine, frame: np.ndarray, bottom: int, cache: ReadCache | None) -> list[OcrLine]:
    """The top band only down to the status line found by the last full read: in a camera
    view that keeps its layout nothing below it decides anything, and the moving picture there
    costs Tesseract more than the bar itself (GO 4: 39 ms instead of 88 ms)."""
    band = preprocess.min_channel(frame[: min(bottom, int(frame.shape[0] * APP_BAR[1]))])
    return _cached(cache, "bar-to-status", band, lambda grey: _ocr(engine, 255 - grey))


def _ocr_page(engine: OcrEngine, frame: np.ndarray, cache: ReadCache | None = None) -> list[OcrLine]:
    """The whole page. Only the row bands that changed since the last page read are read again
    (a calibration percentage, a toggled row); a page read whole is cut in two halves at a blank
    row and read on two threads: a page is the largest single read there is."""
    h = frame.shape[0]
    scale = min(1.0, OCR_MAX_HEIGHT / h)
    if scale < 1.0:
        frame = cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    binary = preprocess.local_bright_text(frame)
    last = cache.page if cache is not None else None
    bands = None
    kept: list[OcrLine] = []
    if last is not None:
        bands = changed_bands(last[0], binary, [(x.y, x.y + x.h) for x in last[1]])
        if bands is not None:
            kept = outside_bands(last[1], bands)
        else:
            scrolled = follow_scroll(last[0], last[1], binary)
            if scrolled is not None:
                kept, bands = scrolled
    lines = _read_whole(engine, binary) if bands is None else kept + _read_bands_of(engine, binary, bands)
    lines.sort(key=lambda x: (x.y, x.x))
    if cache is not None:
        cache.page = (binary, lines)
    return [line.shifted(0, 0, scale) for line in lines]


def _read_whole(engine: OcrEngine, binary: np.ndarray) -> list[OcrLine]:
    """A black-on-white page cut in two at a blank row and read on two threads."""
    cut = preprocess.blank_row_near_middle(binary)
    h = binary.shape[0]
    return _read_bands_of(engine, binary, [(0, h)] if cut is None else [(0, cut), (cut, h)])


def _read_bands_of(engine: OcrEngine, binary: np.ndarray, bands: list[tuple[int, int]]) -> list[OcrLine]:
    """Row bands of one image, the first on this thread and the others beside it."""
    if not bands:
        return []
    others = [_side().submit(_read_band, engine, binary, a, b) for a, b in bands[1:]]
    lines = _read_band(engine, binary, *bands[0])
    for future in others:
        lines += future.result()
    return lines


def _read_band(engine: OcrEngine, binary: np.ndarray, top: int, bottom: int) -> list[OcrLine]:
    """A band with white margins above and below, as it would sit on a page: Tesseract judges
    word spacing and line height worse on a strip cut flush to the text."""
    if top == 0 and bottom == binary.shape[0]:
        return _ocr(engine, binary, dark_on_light=True)
    pad = BAND_PAD
    band = cv2.copyMakeBorder(binary[top:bottom], pad, pad, 0, 0, cv2.BORDER_CONSTANT, value=255)
    return _ocr(engine, band, 0, top - pad, dark_on_light=True)


def _screen_score(template: Template, kind: str, texts: list[str]) -> int:
    if kind == "calibration":
        # The menu row "Gimbal Calibration" is not the calibration: progress shows a percentage.
        words = template.calibration
        hits = sum(
            1
            for t in texts
            if (first_match(words.progress, t) and _PERCENT.search(t))
            or first_match(words.done, t)
            or first_match(words.failed, t)
        )
        return hits + 2 if hits else 0
    sig = template.screens.get(kind)
    if sig is None:
        return 0
    labels = {p for p in sig.labels if any(matches(p, t) for t in texts)}
    titled = any(matches(p, t) for p in sig.title for t in texts)
    if len(labels) >= sig.min_labels:
        return len(labels) + (2 if titled else 0)
    return 0


def _centre_y(line: OcrLine) -> float:
    return line.y + line.h / 2


def observe(
    frame: np.ndarray,
    time_s: float,
    templates: tuple[Template, ...],
    engine: OcrEngine,
    cache: ReadCache | None = None,
) -> Observation:
    h, w = frame.shape[:2]
    # The top strips (app bar, phone clock) and the page are independent reads: the strips go
    # to a second thread while this one reads the page (Tesseract releases the GIL), so two
    # cores share one observation. Once a status line was found, the bar is read down to it:
    # below it the page read sees the same rows. While the app shows a page (About, settings,
    # calibration), nothing decides on its bar: it is read only if the screen turns out to be
    # one that has it, after the page.
    bottom = cache.bar_bottom if cache is not None else None
    on_page = cache is not None and cache.screen in PAGE_SCREENS
    strips = _side().submit(_read_clock_strip if on_page else _read_top_strips, engine, frame, cache, bottom)
    lines = _ocr_page(engine, frame, cache)
    top_lines, clock_lines = strips.result()
    # Lines with fewer than three letters are icons and picture texture, never a screen word.
    texts = [line.text for line in lines if sum(c.isalpha() for c in line.text) >= 3]
    # The app's name and logo words come mostly from its bar: the last one read stands in.
    bar_texts = [x.text for x in (top_lines if top_lines is not None else cache.top_lines if cache else [])]

    # Which template (app) fits best, and which screen this is.
    scored = []
    for tpl in templates:
        markers = sum(1 for m in tpl.app_markers if any(matches(m, t) for t in texts + bar_texts))
        screens = {kind: _screen_score(tpl, kind, texts) for kind in SCREEN_PRIORITY}
        scored.append((tpl, markers, screens))
    app_scores = {tpl.app: markers for tpl, markers, _ in scored}
    best_kind, best_score, best_tpl = "unknown", 0, scored[0][0]
    for tpl, markers, screens in scored:
        for kind in SCREEN_PRIORITY:  # strictly greater: earlier kinds win ties
            # A calibration dialog floats over the settings page it was started from: any sign
            # of it decides the screen.
            s = screens[kind] + (1000 if kind == "calibration" and screens[kind] else 0)
            better_app = s == best_score and s > 0 and markers > app_scores[best_tpl.app]
            if s > best_score or (better_app and kind == best_kind):
                best_kind, best_score, best_tpl = kind, s, tpl
    if best_score == 0:
        best_tpl = max(scored, key=lambda item: item[1])[0]

    obs = Observation(time_s=time_s, lines=lines, screen=best_kind, app_scores=app_scores, template=best_tpl)
    if top_lines is None and best_kind not in PAGE_SCREENS:
        top_lines = _read_bar(engine, frame, cache, bottom)
    _read_clock(obs, clock_lines)
    if top_lines is not None:
        _read_top_bar(obs, frame, top_lines, best_tpl, w, h)
        if cache is not None:
            cache.bar_bottom = obs.bar_bottom  # not found: the next read takes the whole band again
            cache.top_lines = top_lines
    if cache is not None:
        cache.screen = best_kind
    all_lines = lines + (top_lines or [])
    if best_kind == "unknown" and (obs.bar_text or obs.satellites is not None):
        obs.screen = "camera"
    if obs.screen in ("camera", "unknown"):
        for line in all_lines:
            m = _PITCH.match(line.text.strip())
            if m and _centre_y(line) > h * APP_BAR[1]:
                obs.pitch = int(m.group(1).replace(" ", ""))
                break
    if obs.screen == "calibration":
        _read_calibration(obs, best_tpl)
    if obs.screen == "status_list":
        _read_status(obs, frame, best_tpl, w)
    if obs.screen == "about":
        if h > OCR_MAX_HEIGHT:
            lines = _serial_rows_full_res(engine, frame, lines, best_tpl)
            obs.lines = lines
        obs.serials = read_serials(frame, lines, best_tpl, engine, cache)
    return obs


def observe_bar(
    frame: np.ndarray,
    time_s: float,
    previous: Observation,
    engine: OcrEngine,
    cache: ReadCache | None = None,
) -> Observation:
    """A light re-read of a camera view that has not changed its layout: only the clock and the
    top bar (status, satellites), about a fifth of the cost of a full read. The picture under
    the bar keeps moving, so without this a long camera hold would be read in full every time."""
    h, w = frame.shape[:2]
    bottom = cache.bar_bottom if cache is not None else previous.bar_bottom
    top_lines, clock_lines = _read_top_strips(engine, frame, cache, bottom)
    obs = Observation(time_s=time_s, lines=[], screen=previous.screen, template=previous.template, light=True)
    _read_clock(obs, clock_lines)
    if previous.template is not None:
        _read_top_bar(obs, frame, top_lines, previous.template, w, h)
    if cache is not None:
        cache.bar_bottom = obs.bar_bottom
    return obs


_SIDE: ThreadPoolExecutor | None = None
SIDE_THREADS = READ_THREADS - 1


def _side() -> ThreadPoolExecutor:
    global _SIDE
    if _SIDE is None:
        _SIDE = ThreadPoolExecutor(max_workers=SIDE_THREADS, thread_name_prefix="vidverify-ocr")
    return _SIDE


def _read_top_strips(
    engine: OcrEngine, frame: np.ndarray, cache: ReadCache | None, bottom: int | None = None
) -> tuple[list[OcrLine], list[OcrLine]]:
    """The app's top bar and the phone's clock strip."""
    return _read_bar(engine, frame, cache, bottom), _clock_lines(engine, frame, cache)


def _read_bar(
    engine: OcrEngine, frame: np.ndarray, cache: ReadCache | None, bottom: int | None
) -> list[OcrLine]:
    """The app's top bar, down to ``bottom`` when the status line is known."""
    return _ocr_bar(engine, frame, cache) if bottom is None else _ocr_bar_to(engine, frame, bottom, cache)


def _read_clock_strip(
    engine: OcrEngine, frame: np.ndarray, cache: ReadCache | None, bottom: int | None = None
) -> tuple[None, list[OcrLine]]:
    """The phone's clock strip alone, in the shape of ``_read_top_strips``."""
    return None, _clock_lines(engine, frame, cache)


def _clock_lines(engine: OcrEngine, frame: np.ndarray, cache: ReadCache | None) -> list[OcrLine]:
    """The phone's clock strip, enlarged: in the app's top-bar read its small digits lose a
    leading 1 often enough to fake a jump of ten hours."""
    h = frame.shape[0]
    strip = preprocess.min_channel(frame[: max(8, int(h * PHONE_CLOCK))])

    def read(strip: np.ndarray) -> list[OcrLine]:
        grey = cv2.resize(strip, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
        if grey.mean() < 128:
            grey = 255 - grey
        grey = cv2.copyMakeBorder(grey, 10, 10, 10, 10, cv2.BORDER_CONSTANT, value=255)
        return engine.read_lines(grey)

    return _cached(cache, "clock", strip, read)


def _read_clock(obs: Observation, clock_lines: list[OcrLine]) -> None:
    for line in clock_lines:
        m = _CLOCK.search(line.text)
        if m:
            obs.clock_min = int(m.group(1)) * 60 + int(m.group(2))
            obs.clock_text = f"{int(m.group(1)):02d}:{m.group(2)}"
            return


def _read_top_bar(
    obs: Observation, frame: np.ndarray, top_lines: list[OcrLine], tpl: Template, w: int, h: int
) -> None:
    for line in top_lines:
        if _centre_y(line) < h * PHONE_BAR:
            m = _CLOCK.search(line.text)
            if m and obs.clock_min is None:
                obs.clock_min = int(m.group(1)) * 60 + int(m.group(2))
                obs.clock_text = f"{int(m.group(1)):02d}:{m.group(2)}"
    bar = [x for x in top_lines if h * APP_BAR[0] <= _centre_y(x) <= h * APP_BAR[1]]
    for line in bar:
        ready = first_match(tpl.status.ready, line.text)
        error = first_match(tpl.status.errors, line.text)
        weak = first_match(tpl.camera.gps_weak, line.text)
        if weak:
            obs.gps_weak_words.append(weak)
        if (ready or error or weak) and obs.bar_text is None and line.x < w * 0.5:
            obs.bar_text = line.text
            # Just below the status text. A box that took in an icon or a pill's edge is taller
            # than the text: the bar's usual line height is trusted over it, or every later
            # read would carry a strip of the moving picture.
            text_h = min(line.h, int(np.median([x.h for x in bar])) + 4)
            obs.bar_bottom = int(_centre_y(line) + text_h / 2 + max(8, text_h // 2))
            obs.bar_ready = bool(ready) and not error and not weak
            crop = frame[max(0, line.y - 4) : line.y + line.h + 4, max(0, line.x - 8) : line.x + line.w + 8]
            obs.bar_colour = preprocess.dominant_colour(crop)
            if error:
                obs.error_lines.append((error, line))
    # Satellites: the first small number to the right of the status text in the app bar.
    candidates: list[tuple[int, int]] = []
    anchor = next((x for x in bar if x.text == obs.bar_text), None)
    for line in bar:
        if anchor is not None and abs(_centre_y(line) - _centre_y(anchor)) > anchor.h * 0.7:
            continue  # the picture under the bar is not the bar
        if line.x + line.w < w * 0.35:
            continue
        if line.h < h * 0.012:
            continue  # icon fragments read as digits are tiny
        for m in _SMALL_INT.finditer(line.text):
            value = int(m.group(1))
            if value <= 60:
                # Position of the number within the line, proportionally.
                x = line.x + int(line.w * m.start() / max(1, len(line.text)))
                if x > w * 0.35:
                    candidates.append((x, value))
    if candidates:
        obs.satellites = min(candidates)[1]


def _read_calibration(obs: Observation, tpl: Template) -> None:
    for text in obs.texts:
        if first_match(tpl.calibration.failed, text):
            obs.calib_failed = True
        elif first_match(tpl.calibration.done, text):
            obs.calib_done = True
        elif first_match(tpl.calibration.progress, text):
            obs.calib_progress = True
        m = _PERCENT.search(text)
        if m and (obs.calib_progress or "calib" in text.lower()):
            value = int(m.group(1))
            if value <= 100:
                obs.calib_percent = value
    if obs.calib_percent == 100 and not obs.calib_failed:
        obs.calib_done = True


def _read_status(obs: Observation, frame: np.ndarray, tpl: Template, w: int) -> None:
    for line in obs.lines:
        phrase = first_match(tpl.status.errors, line.text)
        if phrase:
            obs.error_lines.append((phrase, line))
        if first_match(tpl.status.end_rows, line.text):
            obs.status_end_seen = True
        letters = sum(c.isalpha() for c in line.text)
        if line.x > w * 0.3 and letters >= 3 and line.confidence >= 50:
            crop = frame[line.y : line.y + line.h, line.x : line.x + line.w]
            colour = preprocess.text_colour(crop)
            if colour in ("red", "orange", "yellow"):
                obs.warn_colour_lines.append(line)


def _serial_role(text: str, tpl: Template) -> str | None:
    """rc, aircraft or other for a serial label line (the longest label that fits), else None."""
    labels = tpl.serial_labels
    candidates = [(p, "rc") for p in labels.rc] + [(p, "aircraft") for p in labels.aircraft]
    candidates += [(p, "other") for p in labels.other]
    best_role, best_len = None, -1
    for phrase, role in candidates:
        if len(phrase) > best_len and _label_match(phrase, text):
            best_role, best_len = role, len(phrase)
    return best_role


def _serial_rows_full_res(
    engine: OcrEngine, frame: np.ndarray, lines: list[OcrLine], tpl: Template
) -> list[OcrLine]:
    """Serials are what the About page is for: their rows are read again at full resolution.
    Only the rows: the rest of the page is already read, and a full-resolution page costs
    several rows' worth. Unless both serial labels were found, the whole page is read again."""
    h = frame.shape[0]
    roles = {line: _serial_role(line.text, tpl) for line in lines}
    rows = [line for line, role in roles.items() if role in ("rc", "aircraft")]
    if len({roles[line] for line in rows}) < 2:
        # A serial label missed at page scale costs a rejection: with fewer than both labels
        # found, the page is read again whole at full resolution.
        return sorted(_read_whole(engine, preprocess.local_bright_text(frame)), key=lambda x: (x.y, x.x))
    out = list(lines)
    for label in rows:
        y0, y1 = max(0, label.y - label.h), min(h, label.y + 2 * label.h)
        band = _ocr(engine, preprocess.local_bright_text(frame[y0:y1], frame_height=h), 0, y0)
        out = [line for line in out if not y0 <= _centre_y(line) <= y1] + band
    return sorted(out, key=lambda line: (line.y, line.x))


def read_serials(
    frame: np.ndarray,
    lines: list[OcrLine],
    tpl: Template,
    engine: OcrEngine,
    cache: ReadCache | None = None,
) -> list[SerialRead]:
    """Serial values next to their labels: the label decides the role, never the value's shape."""
    pairs: list[tuple[str, OcrLine, OcrLine]] = []
    for label in lines:
        best_role = _serial_role(label.text, tpl)
        if best_role in (None, "other"):
            continue
        value = _value_beside(label, lines)
        if value is not None:
            pairs.append((best_role, label, value))
    rereads = _reread_all(frame, [value for _, _, value in pairs], engine, cache)
    out: list[SerialRead] = []
    for (role, label, value), more in zip(pairs, rereads, strict=True):
        reads = [(_SERIAL_CHARS.sub("", value.text.upper()), value.confidence), *more]
        for raw, conf in reads:
            if 10 <= len(raw) <= 24 and sum(c.isdigit() for c in raw) >= 2:
                out.append(SerialRead(role, raw, conf, label, value))
    return out


def _label_match(phrase: str, text: str) -> bool:
    """A label line is the label alone (plus maybe the value): the phrase must start the line."""
    head = " ".join(text.split()[: len(phrase.split()) + 1])
    return (
        matches(phrase, head)
        and len(text.split()) <= len(phrase.split()) + 2
        or matches(phrase, text)
        and text.lower().startswith(phrase.split()[0].lower())
    )


def _value_beside(label: OcrLine, lines: list[OcrLine]) -> OcrLine | None:
    cy = _centre_y(label)
    best = None
    for line in lines:
        if line is label or line.x <= label.x + label.w * 0.5:
            continue
        if abs(_centre_y(line) - cy) > max(label.h, line.h) * 0.6:
            continue
        alnum = _SERIAL_CHARS.sub("", line.text.upper())
        if len(alnum) < 8:
            continue
        if best is None or line.x < best.x:
            best = line
    if best is None:
        # Label and value read as one line: the value is the last long token.
        tokens = label.text.split()
        if tokens and len(_SERIAL_CHARS.sub("", tokens[-1].upper())) >= 10:
            return OcrLine(
                tokens[-1], label.confidence, label.x + label.w // 2, label.y, label.w // 2, label.h
            )
    return best


REREADS = ((36, True), (48, True), (64, True), (96, False))  # (text height, binarised)


def _reread_all(
    frame: np.ndarray, values: list[OcrLine], engine: OcrEngine, cache: ReadCache | None
) -> list[list[tuple[str, float]]]:
    """Each value read again, alone and enlarged, a few ways: serials carry no context to guess
    from, and small screen text is read differently at different scales. A value read before
    from the same pixels (the About page scrolled, or was read again) reuses those reads; the
    rest are shared between this thread and a side one."""
    crops = [_value_crop(frame, box) for box in values]
    keys = [(v.text, _crop_key(crop)) if crop.size else None for v, crop in zip(values, crops, strict=True)]
    known = [_known_reads(cache, key) for key in keys]
    todo = [i for i, key in enumerate(keys) if key is not None and known[i] is None]
    jobs = [(i, height, binarise) for i in todo for height, binarise in REREADS]
    texts = _split_work([lambda i=i, h=h, b=b: _read_value(crops[i], h, b, engine) for i, h, b in jobs])
    for i in todo:
        known[i] = [text for (j, _, _), text in zip(jobs, texts, strict=True) if j == i and text is not None]
        if cache is not None:
            cache.rereads.append((keys[i], known[i]))
    return [reads or [] for reads in known]


def _value_crop(frame: np.ndarray, box: OcrLine) -> np.ndarray:
    pad = max(4, box.h // 2)
    side = box.h  # the box of a serial read at low resolution can miss its last characters
    return frame[max(0, box.y - pad) : box.y + box.h + pad, max(0, box.x - side) : box.x + box.w + side]


CROP_KEY = (256, 24)  # a value crop at a fixed size, to compare crops whose boxes differ a little
SAME_CROP = 0.01  # share of a crop key's pixels that may differ by more than 40 grey levels


def _crop_key(crop: np.ndarray) -> np.ndarray:
    """The crop's text alone (cut to its strokes) at a fixed size: the same value read from two
    frames has boxes that differ by a few pixels, and so do its crops."""
    grey = preprocess.max_channel(crop)
    ink = cv2.absdiff(grey, np.full_like(grey, int(np.median(grey)))) > 40
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if rows.size and cols.size:
        grey = grey[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    return cv2.resize(grey, CROP_KEY, interpolation=cv2.INTER_AREA)


def _known_reads(
    cache: ReadCache | None, key: tuple[str, np.ndarray] | None
) -> list[tuple[str, float]] | None:
    """Earlier re-reads of a value read the same in its row and looking the same up close."""
    if cache is None or key is None:
        return None
    text, image = key
    for (seen_text, seen), reads in cache.rereads:
        if seen_text == text and float((cv2.absdiff(seen, image) > 40).mean()) <= SAME_CROP:
            return reads
    return None


def _read_value(crop: np.ndarray, height: int, binarise: bool, engine: OcrEngine) -> tuple[str, float] | None:
    grey = preprocess.for_line(crop, height)
    if binarise:
        _, grey = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    lines = engine.read_lines(grey, single_line=True)
    if not lines:
        return None
    return "".join(_SERIAL_CHARS.sub("", x.text.upper()) for x in lines), min(x.confidence for x in lines)


def _split_work(calls: list[Callable[[], T]]) -> list[T]:
    """Run ``calls`` in order, every second one on a side thread: small reads, two at a time."""
    beside = _side().submit(lambda: [call() for call in calls[1::2]]) if len(calls) > 1 else None
    here = [call() for call in calls[0::2]]
    there = beside.result() if beside is not None else []
    out: list[T] = []
    for i in range(len(calls)):
        out.append(here[i // 2] if i % 2 == 0 else there[i // 2])
    return out
