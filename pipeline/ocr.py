"""Tesseract behind one small interface: in-process through tesserocr when installed, else a
process per call through pytesseract.

In-process OCR matters: a process per call costs ~150 ms of fixed overhead against ~15-30 ms
for a text line with a reused API (see shared/research/pipeline_facts.md). Both engines return
the same ``OcrLine`` list so that the rest of the pipeline never knows which one ran.
"""

from __future__ import annotations

import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

# Tesseract spawns OpenMP threads per page; on small machines that is 5-30x slower.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

READ_THREADS = 3  # reads in flight at once in a check: the caller's and two side threads'


@dataclass(frozen=True)
class OcrLine:
    """One text line with its box in the coordinates of the image given to the engine."""

    text: str
    confidence: float  # 0..100
    x: int
    y: int
    w: int
    h: int
    # Per character (character, confidence 0..100), for single-line reads only: a serial is
    # voted on character by character, and one doubtful glyph should weigh as one.
    symbols: tuple[tuple[str, float], ...] = ()

    def shifted(self, dx: int, dy: int, scale: float = 1.0) -> OcrLine:
        """Map a box from a crop (optionally resized by ``scale``) back to frame coordinates."""
        return OcrLine(
            self.text,
            self.confidence,
            int(self.x / scale) + dx,
            int(self.y / scale) + dy,
            int(self.w / scale),
            int(self.h / scale),
            self.symbols,
        )


class OcrEngine(Protocol):
    name: str

    def read_lines(
        self, gray: np.ndarray, *, single_line: bool = False, dark_on_light: bool = False, chars: str = ""
    ) -> list[OcrLine]:
        """``chars``: the only characters the text may hold (none: any)."""
        ...

    def warm_up(self, count: int) -> None:
        """Get ready for ``count`` reads at once, without waiting for it."""

    def load_now(self, count: int) -> None:
        """Have ``count`` reads' worth of models loaded when this returns (a worker before it
        forks its work horses)."""

    def for_lang(self, lang: str) -> OcrEngine:
        """The same engine reading with another Tesseract model ("fra", "jpn", "chi_sim"...)."""
        ...


def model_available(lang: str) -> bool:
    """Whether every model of ``lang`` ("jpn", "chi_sim+eng") is installed."""
    folder = find_tessdata()
    return folder is not None and all((Path(folder) / f"{m}.traineddata").exists() for m in lang.split("+"))


def find_tessdata() -> str | None:
    """The system's tessdata folder; tesserocr's wheel bundles the library but no language data."""
    env = os.environ.get("TESSDATA_PREFIX")
    candidates = [env] if env else []
    candidates += [
        "/usr/share/tesseract-ocr/5/tessdata",
        "/usr/share/tesseract-ocr/4.00/tessdata",
        "/usr/share/tessdata",
        "/usr/local/share/tessdata",
    ]
    for c in candidates:
        if c and (Path(c) / "eng.traineddata").exists():
            return c
    return None


class _Api:
    """One ``PyTessBaseAPI`` and the mode it was last set to."""

    def __init__(self, path: str, lang: str) -> None:
        import tesserocr

        self.api = tesserocr.PyTessBaseAPI(path=path, lang=lang, psm=tesserocr.PSM.SPARSE_TEXT)
        # Screen text is mostly names and serials, not dictionary words.
        self.api.SetVariable("load_system_dawg", "0")
        self.api.SetVariable("load_freq_dawg", "0")
        self.single_line = False
        self.invert = True
        self.chars = ""

    def set(self, single_line: bool, dark_on_light: bool, chars: str = "") -> None:
        import tesserocr

        if self.chars != chars:
            self.api.SetVariable("tessedit_char_whitelist", chars)
            self.chars = chars

        if self.single_line != single_line:
            self.api.SetPageSegMode(tesserocr.PSM.SINGLE_LINE if single_line else tesserocr.PSM.SPARSE_TEXT)
            self.single_line = single_line
        if self.invert == dark_on_light:
            self.api.SetVariable("tessedit_do_invert", "0" if dark_on_light else "1")
            self.invert = not dark_on_light


class TesserocrEngine:
    """Reused ``PyTessBaseAPI`` objects, one per read in flight (the API is not thread-safe; the
    GIL is released while it works)."""

    name = "tesserocr"

    def __init__(self, lang: str = "eng") -> None:
        import tesserocr  # noqa: F401  (fail here, not on first use, when it is missing)

        self._lang = lang
        self._path = find_tessdata()
        if self._path is None:
            raise RuntimeError("Tesseract language data (eng.traineddata) not found")
        # Idle APIs. Each costs a model load (~0.1 s of CPU) and some 15 MB; page and
        # single-line reads share them, the mode switched per read.
        self._idle: list[_Api] = []
        self._cond = threading.Condition()
        self._loading = 0  # APIs being loaded by warm_up
        self._waiting = 0  # readers waiting for one of those
        # The same engine for other models, made on first use and kept: a check that found a
        # French UI reads the rest of its pages with the French model.
        self._others: dict[str, TesserocrEngine] = {}
        self._others_lock = threading.Lock()

    def for_lang(self, lang: str) -> OcrEngine:
        if lang == self._lang:
            return self
        with self._others_lock:
            if lang not in self._others:
                if not model_available(lang):
                    raise RuntimeError(f"Tesseract model {lang!r} is not installed")
                self._others[lang] = TesserocrEngine(lang)
            return self._others[lang]

    def warm_up(self, count: int) -> None:
        """Load up to ``count`` APIs on threads of their own, now, while the caller opens the
        video: a check reads on three threads at once from its first screen on, and loading
        their models there would put a third of a second on its critical path."""
        with self._cond:
            missing = count - len(self._idle) - self._loading
            self._loading += max(0, missing)
        for _ in range(max(0, missing)):
            threading.Thread(target=self._load, name="vidverify-ocr-load", daemon=True).start()

    def load_now(self, count: int) -> None:
        """Load APIs on this thread until ``count`` are idle. A queue worker calls it before
        forking: every work horse then starts with the models in its (copy-on-write) memory
        instead of loading them per job, which ``make loadtest``'s profile showed at about a
        fifth of a worker's CPU. No other thread touches them in the parent, so none holds a
        lock across the fork."""
        while True:
            with self._cond:
                if len(self._idle) + self._loading >= count:
                    return
            self._give_back(self._new())

    def _load(self) -> None:
        try:
            api = self._new()
        finally:
            with self._cond:
                self._loading -= 1
                self._cond.notify_all()
        self._give_back(api)

    def _new(self) -> _Api:
        assert self._path is not None
        return _Api(self._path, self._lang)

    def _take(self) -> _Api:
        """An idle API; one being loaded if there is one nobody waits for yet; else a new one."""
        with self._cond:
            while not self._idle and self._loading > self._waiting:
                self._waiting += 1
                self._cond.wait()
                self._waiting -= 1
            if self._idle:
                return self._idle.pop()
        return self._new()

    def _give_back(self, api: _Api) -> None:
        with self._cond:
            self._idle.append(api)
            self._cond.notify()

    def read_lines(
        self, gray: np.ndarray, *, single_line: bool = False, dark_on_light: bool = False, chars: str = ""
    ) -> list[OcrLine]:
        """``dark_on_light``: the image is already dark text on a light ground (a binarised
        page), so Tesseract's second try of each doubtful line inverted can only waste time
        (a quarter of a page read). ``chars``: Tesseract's whitelist (its line confidence is
        then 0: the characters' own confidences still hold)."""
        held = self._take()
        try:
            held.set(single_line, dark_on_light, chars)
            return self._recognise(held.api, gray, with_symbols=single_line)
        finally:
            self._give_back(held)

    @staticmethod
    def _recognise(api, gray: np.ndarray, with_symbols: bool = False) -> list[OcrLine]:  # noqa: ANN001
        import tesserocr

        # Raw grey bytes: handing over a PIL image costs a BMP encode and decode per read.
        gray = np.ascontiguousarray(gray, dtype=np.uint8)
        api.SetImageBytes(gray.tobytes(), gray.shape[1], gray.shape[0], 1, gray.shape[1])
        try:
            api.Recognize()
        except RuntimeError:
            return []  # a blank image: tesserocr raises where the CLI prints nothing
        lines: list[OcrLine] = []
        iterator = api.GetIterator()
        level = tesserocr.RIL.TEXTLINE
        for item in tesserocr.iterate_level(iterator, level):
            try:
                text = (item.GetUTF8Text(level) or "").strip()
            except RuntimeError:
                continue  # "No text returned" for an empty block
            if not text:
                continue
            box = item.BoundingBox(level)
            if box is None:
                continue
            x1, y1, x2, y2 = box
            lines.append(OcrLine(text, float(item.Confidence(level)), x1, y1, x2 - x1, y2 - y1))
        if with_symbols and lines:
            lines = _with_symbols(api, lines)
        return lines


def _with_symbols(api, lines: list[OcrLine]) -> list[OcrLine]:  # noqa: ANN001 (tesserocr has no types)
    """Each line with the confidences of its characters (symbols whose centre lies in its box)."""
    import tesserocr

    level = tesserocr.RIL.SYMBOL
    found: list[list[tuple[str, float]]] = [[] for _ in lines]
    for item in tesserocr.iterate_level(api.GetIterator(), level):
        try:
            char = item.GetUTF8Text(level) or ""
        except RuntimeError:
            continue
        box = item.BoundingBox(level)
        if not char.strip() or box is None:
            continue
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        for k, line in enumerate(lines):
            if line.x <= cx <= line.x + line.w and line.y <= cy <= line.y + line.h:
                found[k].append((char, float(item.Confidence(level))))
                break
    return [
        OcrLine(x.text, x.confidence, x.x, x.y, x.w, x.h, tuple(sym))
        for x, sym in zip(lines, found, strict=True)
    ]


class PytesseractEngine:
    """Fallback: one ``tesseract`` process per call, grouped into lines from its TSV output."""

    name = "pytesseract"

    def __init__(self, lang: str = "eng") -> None:
        import pytesseract  # noqa: F401

        if shutil.which("tesseract") is None:
            raise RuntimeError("the tesseract command is not installed")
        self._lang = lang

    def warm_up(self, count: int) -> None:
        """Nothing to load: each read is a process of its own."""

    def load_now(self, count: int) -> None:
        """Nothing to load."""

    def for_lang(self, lang: str) -> OcrEngine:
        if lang == self._lang:
            return self
        if not model_available(lang):
            raise RuntimeError(f"Tesseract model {lang!r} is not installed")
        return PytesseractEngine(lang)

    def read_lines(
        self, gray: np.ndarray, *, single_line: bool = False, dark_on_light: bool = False, chars: str = ""
    ) -> list[OcrLine]:
        import pytesseract

        psm = 7 if single_line else 11
        invert = " -c tessedit_do_invert=0" if dark_on_light else ""
        invert += f" -c tessedit_char_whitelist={chars}" if chars else ""
        data = pytesseract.image_to_data(
            gray,
            lang=self._lang,
            config=f"--psm {psm} -c load_system_dawg=0 -c load_freq_dawg=0{invert}",
            output_type=pytesseract.Output.DICT,
        )
        groups: dict[tuple[int, int, int], list[int]] = {}
        for i, word in enumerate(data["text"]):
            if not str(word).strip():
                continue
            key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
            groups.setdefault(key, []).append(i)
        lines: list[OcrLine] = []
        for idx in groups.values():
            xs = [data["left"][i] for i in idx]
            ys = [data["top"][i] for i in idx]
            x2 = max(data["left"][i] + data["width"][i] for i in idx)
            y2 = max(data["top"][i] + data["height"][i] for i in idx)
            confs = [float(data["conf"][i]) for i in idx if float(data["conf"][i]) >= 0]
            text = " ".join(str(data["text"][i]).strip() for i in idx)
            conf = sum(confs) / len(confs) if confs else 0.0
            lines.append(OcrLine(text, conf, min(xs), min(ys), x2 - min(xs), y2 - min(ys)))
        return lines


_default: OcrEngine | None = None


def make_engine(prefer: str | None = None) -> OcrEngine:
    """The best available engine; ``VIDVERIFY_OCR_ENGINE`` (tesserocr|pytesseract) forces one."""
    choice = prefer or os.environ.get("VIDVERIFY_OCR_ENGINE", "")
    if choice == "pytesseract":
        return PytesseractEngine()
    try:
        return TesserocrEngine()
    except (ImportError, RuntimeError):
        if choice == "tesserocr":
            raise
        return PytesseractEngine()


def default_engine() -> OcrEngine:
    global _default
    if _default is None:
        _default = make_engine()
    return _default
