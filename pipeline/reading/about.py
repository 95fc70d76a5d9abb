"""The About page's facts: serial values beside their labels, each value read again up close.

Serials carry no context to guess from, and small screen text is read differently at
different scales: every value is read alone, enlarged, a few ways. A value read before from
the same pixels (the page scrolled, or was read again) reuses those reads from a bounded store.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass

import cv2
import numpy as np

from pipeline import preprocess
from pipeline.ocr import OcrEngine, OcrLine
from pipeline.reading.facts import centre_y
from pipeline.reading.work import gather, ocr, read_whole
from pipeline.serials import CTA_CHARS, is_valid
from pipeline.templates import Template
from pipeline.textmatch import is_cjk, matches, norm

_SERIAL_CHARS = re.compile(r"[^A-Z0-9]")
REREADS = ((36, True), (48, True), (64, True), (96, False))  # (text height, binarised)
CROP_KEY = (256, 24)  # a value crop at a fixed size, to compare crops whose boxes differ a little
SAME_CROP = 0.01  # share of a crop key's pixels that may differ by more than 40 grey levels
STORE_TEXTS = 64  # row texts whose re-reads are kept (least recently used goes first)
STORE_LOOKS = 8  # looks kept per row text
# A look read this long ago is read again: the serial vote wants independent readings from
# several frames of one About page, not one frame's reads repeated.
REUSE_S = 1.0
NAME_CONFIDENCE = 60  # a device name read less surely is no evidence either way
NAME_HEIGHT = 48  # text height of a device name read again alone


@dataclass(frozen=True)
class ValueRead:
    """One OCR read of a value: alphanumerics, line confidence and, when the engine gave them,
    one confidence per character."""

    text: str
    confidence: float
    symbols: tuple[float, ...] | None = None


Reads = list[ValueRead]


@dataclass(frozen=True)
class SerialRead:
    role: str  # "rc" | "aircraft"
    text: str  # alphanumerics as read, upper case
    confidence: float
    label_box: OcrLine
    value_box: OcrLine
    symbols: tuple[float, ...] | None = None  # per-character confidences, when known
    origin: int = 0  # which reading of the value's pixels this came from: equal origins are one reading


@dataclass(frozen=True)
class AboutFacts:
    serials: tuple[SerialRead, ...] = ()
    roles: frozenset[str] = frozenset()  # serial labels seen on the page ("rc", "aircraft"), value or not
    device_name: str | None = None  # the value beside the device-name label, as read


class RereadStore:
    """Re-reads of serial values, keyed by the value's row text and then by how its crop looks
    (``crop_key``): an LRU of row texts, each with its last few looks."""

    def __init__(self, texts: int = STORE_TEXTS, looks: int = STORE_LOOKS) -> None:
        self._texts, self._looks = texts, looks
        self._store: OrderedDict[str, list[tuple[np.ndarray, float, int, Reads]]] = OrderedDict()
        self._origins = 0

    def get(self, text: str, image: np.ndarray, time_s: float = 0.0) -> tuple[int, Reads] | None:
        """The origin and reads of a look read within ``REUSE_S`` before ``time_s``."""
        looks = self._store.get(text)
        if looks is None:
            return None
        self._store.move_to_end(text)
        for seen, at, origin, reads in looks:
            if abs(time_s - at) <= REUSE_S and float((cv2.absdiff(seen, image) > 40).mean()) <= SAME_CROP:
                return origin, reads
        return None

    def put(self, text: str, image: np.ndarray, reads: Reads, time_s: float = 0.0) -> int:
        """Stores the reads of a look; returns the new reading's origin."""
        self._origins += 1
        looks = self._store.setdefault(text, [])
        self._store.move_to_end(text)
        looks.append((image, time_s, self._origins, reads))
        del looks[: -self._looks]
        while len(self._store) > self._texts:
            self._store.popitem(last=False)
        return self._origins

    def __len__(self) -> int:
        return sum(len(looks) for looks in self._store.values())


def serial_role(text: str, tpl: Template) -> str | None:
    """rc, aircraft or other for a serial label line (the longest label that fits), else None."""
    labels = tpl.serial_labels
    candidates = [(p, "rc") for p in labels.rc] + [(p, "aircraft") for p in labels.aircraft]
    candidates += [(p, "other") for p in labels.other]
    best_role, best_len = None, -1
    for phrase, role in candidates:
        if len(phrase) > best_len and _label_match(phrase, text):
            best_role, best_len = role, len(phrase)
    return best_role


def _label_match(phrase: str, text: str) -> bool:
    """A label line is the label alone (plus maybe the value): the phrase must start the line.
    Small screen text loses the space between short words ("RC SN" read "RCSN"): the first
    word of the line is also compared with the phrase's words run together."""
    if is_cjk(phrase):  # no words to count: the label's first characters start the line
        squeezed, p = norm(text).replace(" ", ""), norm(phrase).replace(" ", "")
        return matches(phrase, text) and any(c in squeezed[:3] for c in p[:2])
    head = " ".join(text.split()[: len(phrase.split()) + 1])
    words = text.split()
    joined = "".join(phrase.split()).lower()
    return (
        matches(phrase, head)
        and len(text.split()) <= len(phrase.split()) + 2
        or matches(phrase, text)
        and text.lower().startswith(phrase.split()[0].lower())
        or len(phrase.split()) > 1
        and bool(words)
        and words[0].lower().strip(":") == joined
    )


def device_name_row(lines: Sequence[OcrLine], tpl: Template) -> list[OcrLine]:
    """The lines on the row of the device-name label, right of it, left to right."""
    for label in lines:
        if not any(_label_match(p, label.text) for p in tpl.serial_labels.device_name):
            continue
        cy = centre_y(label)
        right = [x for x in lines if x is not label and x.x > label.x + label.w * 0.5]
        row = [x for x in right if abs(centre_y(x) - cy) <= max(label.h, x.h) * 0.6]
        if row:
            return sorted(row, key=lambda x: x.x)
    return []


def value_beside(label: OcrLine, lines: Sequence[OcrLine]) -> OcrLine | None:
    cy = centre_y(label)
    best = None
    for line in lines:
        if line is label or line.x <= label.x + label.w * 0.5:
            continue
        if abs(centre_y(line) - cy) > max(label.h, line.h) * 0.6:
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


def crop_key(crop: np.ndarray) -> np.ndarray:
    """The crop's text alone (cut to its strokes) at a fixed size: the same value read from two
    frames has boxes that differ by a few pixels, and so do its crops."""
    grey = preprocess.max_channel(crop)
    ink = cv2.absdiff(grey, np.full_like(grey, int(np.median(grey)))) > 40
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if rows.size and cols.size:
        grey = grey[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    return cv2.resize(grey, CROP_KEY, interpolation=cv2.INTER_AREA)


def _value_crop(frame: np.ndarray, box: OcrLine) -> np.ndarray:
    pad = max(4, box.h // 2)
    side = box.h  # the box of a serial read at low resolution can miss its last characters
    return frame[max(0, box.y - pad) : box.y + box.h + pad, max(0, box.x - side) : box.x + box.w + side]


class SerialReader:
    """Reads the serials of an About page; remembers its re-reads (``RereadStore``)."""

    def __init__(self, engine: OcrEngine, pool: Executor, full_res_above: int) -> None:
        self._engine = engine  # serial values: always the Latin model
        self._words = engine  # the rows with their labels: the UI language's model
        self._pool = pool
        self._full_res_above = full_res_above  # frame height above which page reads were scaled
        self.store = RereadStore()

    def use(self, engine: OcrEngine, full_res_above: int) -> None:
        """Read label rows with ``engine`` (the UI language's model) from now on, again at full
        resolution only from frames taller than the height its pages are now read at."""
        self._words = engine
        self._full_res_above = full_res_above

    def facts(
        self, frame: np.ndarray, page_lines: list[OcrLine], tpl: Template, time_s: float = 0.0
    ) -> AboutFacts:
        lines = page_lines
        if frame.shape[0] > self._full_res_above:
            lines = self._serial_rows_full_res(frame, lines, tpl)
        roles = frozenset(r for r in (serial_role(x.text, tpl) for x in lines) if r in ("rc", "aircraft"))
        name = self.device_name(frame, lines, tpl)
        return AboutFacts(tuple(self.read_serials(frame, lines, tpl, time_s)), roles, name)

    def device_name(self, frame: np.ndarray, lines: list[OcrLine], tpl: Template) -> str | None:
        """The drone's name beside its label, only as read with confidence. The continuity
        check tells About pages apart by it, and at page scale a name is often misread the same
        wrong way ("DJIA 3" for "DJI Air 3", at confidence 2 on a 1080p fixture): an unsure
        row is read again alone, enlarged, from the frame; a name still unsure is no name."""
        row = device_name_row(lines, tpl)
        text = " ".join(x.text for x in row).strip()
        if not text:
            return None
        if min(x.confidence for x in row) >= NAME_CONFIDENCE:
            return text
        top, left = min(x.y for x in row), min(x.x for x in row)
        width, height = max(x.x + x.w for x in row) - left, max(x.y + x.h for x in row) - top
        box = OcrLine(text, 0.0, left, top, width, height)
        crop = _value_crop(frame, box)  # as a serial value: a box read unsurely may miss its ends
        if not crop.size:
            return None
        again = self._words.read_lines(preprocess.for_line(crop, NAME_HEIGHT), single_line=True)
        if again and min(x.confidence for x in again) >= NAME_CONFIDENCE:
            return " ".join(x.text for x in again).strip() or None
        return None

    def _serial_rows_full_res(self, frame: np.ndarray, lines: list[OcrLine], tpl: Template) -> list[OcrLine]:
        """Serials are what the About page is for: their rows are read again at full
        resolution. Only the rows: the rest of the page is already read, and a full-resolution
        page costs several rows' worth. Unless both serial labels were found, the whole page is
        read again."""
        h = frame.shape[0]
        roles = {line: serial_role(line.text, tpl) for line in lines}
        rows = [line for line, role in roles.items() if role in ("rc", "aircraft")]
        if len({roles[line] for line in rows}) < 2:
            # A serial label missed at page scale costs a rejection: with fewer than both labels
            # found, the page is read again whole at full resolution.
            whole = read_whole(self._words, self._pool, preprocess.local_bright_text(frame))
            return sorted(whole, key=lambda x: (x.y, x.x))
        out = list(lines)
        for label in rows:
            y0, y1 = max(0, label.y - label.h), min(h, label.y + 2 * label.h)
            band = ocr(self._words, preprocess.local_bright_text(frame[y0:y1], frame_height=h), 0, y0)
            out = [line for line in out if not y0 <= centre_y(line) <= y1] + band
        return sorted(out, key=lambda line: (line.y, line.x))

    def read_serials(
        self, frame: np.ndarray, lines: list[OcrLine], tpl: Template, time_s: float = 0.0
    ) -> list[SerialRead]:
        """Serial values next to their labels: the label decides the role, never the value's shape."""
        pairs: list[tuple[str, OcrLine, OcrLine]] = []
        for label in lines:
            role = serial_role(label.text, tpl)
            if role in (None, "other"):
                continue
            value = value_beside(label, lines)
            if value is not None:
                pairs.append((role, label, value))
        rereads = self._reread_all(frame, [value for _, _, value in pairs], time_s)
        out: list[SerialRead] = []
        for (role, label, value), (origin, more) in zip(pairs, rereads, strict=True):
            reads = [ValueRead(_SERIAL_CHARS.sub("", value.text.upper()), value.confidence), *more]
            for r in reads:
                if 10 <= len(r.text) <= 24 and sum(c.isdigit() for c in r.text) >= 2:
                    out.append(SerialRead(role, r.text, r.confidence, label, value, r.symbols, origin))
        return out

    def _reread_all(self, frame: np.ndarray, values: list[OcrLine], time_s: float) -> list[tuple[int, Reads]]:
        """Each value read again, alone and enlarged, a few ways; values seen before reuse
        their reads; the rest are shared between this thread and a side one."""
        crops = [_value_crop(frame, box) for box in values]
        keys = [
            (v.text, crop_key(crop)) if crop.size else None for v, crop in zip(values, crops, strict=True)
        ]
        known = [self.store.get(*key, time_s) if key is not None else None for key in keys]
        todo = [i for i, key in enumerate(keys) if key is not None and known[i] is None]
        jobs = [(i, height, binarise) for i in todo for height, binarise in REREADS]
        engine = self._engine
        texts = gather(
            self._pool, [lambda i=i, h=h, b=b: _read_value(crops[i], h, b, engine) for i, h, b in jobs]
        )
        # A value none of whose reads has a serial's form (a length code that fits its length,
        # or 14 characters) lost or gained a character to a glyph read as punctuation: a "7" at
        # low bitrate reads "/" everywhere, and dropping it shortens the serial by one. Read
        # again with only the characters serials use, where Tesseract must pick the closest.
        found_by = {
            i: [text for (j, _, _), text in zip(jobs, texts, strict=True) if j == i and text is not None]
            for i in todo
        }
        misread = [
            i for i in todo if not any(is_valid(r.text) for r in [*found_by[i], ValueRead(values[i].text, 0)])
        ]
        again = [(i, height, binarise) for i in misread for height, binarise in REREADS]
        redone = gather(
            self._pool,
            [lambda i=i, h=h, b=b: _read_value(crops[i], h, b, engine, CTA_CHARS) for i, h, b in again],
        )
        for (i, _, _), text in zip(again, redone, strict=True):
            if text is not None:
                found_by[i].append(text)
        for i in todo:
            found = found_by[i]
            key = keys[i]
            assert key is not None
            known[i] = (self.store.put(*key, found, time_s), found)
        return [entry if entry is not None else (0, []) for entry in known]


def _read_value(
    crop: np.ndarray, height: int, binarise: bool, engine: OcrEngine, only: str = ""
) -> ValueRead | None:
    """One read of a value; ``only``: the characters it may hold (Tesseract's whitelist, under
    which it gives no line confidence: its least sure character's stands in, as a word's
    confidence is its least sure character's)."""
    grey = preprocess.for_line(crop, height)
    if binarise:
        _, grey = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    lines = engine.read_lines(grey, single_line=True, chars=only)
    if not lines:
        return None
    text = "".join(_SERIAL_CHARS.sub("", x.text.upper()) for x in lines)
    symbols = [conf for x in lines for ch, conf in x.symbols if _SERIAL_CHARS.sub("", ch.upper()) != ""]
    chars = "".join(_SERIAL_CHARS.sub("", ch.upper()) for x in lines for ch, _ in x.symbols)
    aligned = tuple(symbols) if chars == text and len(symbols) == len(text) else None
    confidence = min(x.confidence for x in lines)
    if only and aligned:
        confidence = min(aligned)
    return ValueRead(text, confidence, aligned)
