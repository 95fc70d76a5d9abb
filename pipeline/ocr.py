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


@dataclass(frozen=True)
class OcrLine:
    """One text line with its box in the coordinates of the image given to the engine."""

    text: str
    confidence: float  # 0..100
    x: int
    y: int
    w: int
    h: int

    def shifted(self, dx: int, dy: int, scale: float = 1.0) -> OcrLine:
        """Map a box from a crop (optionally resized by ``scale``) back to frame coordinates."""
        return OcrLine(
            self.text,
            self.confidence,
            int(self.x / scale) + dx,
            int(self.y / scale) + dy,
            int(self.w / scale),
            int(self.h / scale),
        )


class OcrEngine(Protocol):
    name: str

    def read_lines(
        self, gray: np.ndarray, *, single_line: bool = False, dark_on_light: bool = False
    ) -> list[OcrLine]: ...


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


class TesserocrEngine:
    """A reused ``PyTessBaseAPI`` per thread (the API is not thread-safe, the GIL is released)."""

    name = "tesserocr"

    def __init__(self, lang: str = "eng") -> None:
        import tesserocr  # noqa: F401  (fail here, not on first use, when it is missing)

        self._lang = lang
        self._path = find_tessdata()
        if self._path is None:
            raise RuntimeError("Tesseract language data (eng.traineddata) not found")
        self._local = threading.local()

    def _api(self, single_line: bool, dark_on_light: bool = False):
        """This thread's API, set for this read. One API per thread, its page segmentation mode
        and inversion switched per read: each API costs a model load (~0.1 s of CPU) and some
        15 MB, and a check runs on three threads."""
        import tesserocr

        local = self._local
        api = getattr(local, "api", None)
        if api is None:
            api = tesserocr.PyTessBaseAPI(path=self._path, lang=self._lang, psm=tesserocr.PSM.SPARSE_TEXT)
            # Screen text is mostly names and serials, not dictionary words.
            api.SetVariable("load_system_dawg", "0")
            api.SetVariable("load_freq_dawg", "0")
            local.api, local.single_line, local.invert = api, False, True
        if local.single_line != single_line:
            api.SetPageSegMode(tesserocr.PSM.SINGLE_LINE if single_line else tesserocr.PSM.SPARSE_TEXT)
            local.single_line = single_line
        if local.invert == dark_on_light:
            api.SetVariable("tessedit_do_invert", "0" if dark_on_light else "1")
            local.invert = not dark_on_light
        return api

    def read_lines(
        self, gray: np.ndarray, *, single_line: bool = False, dark_on_light: bool = False
    ) -> list[OcrLine]:
        """``dark_on_light``: the image is already dark text on a light ground (a binarised
        page), so Tesseract's second try of each doubtful line inverted can only waste time
        (a quarter of a page read)."""
        import tesserocr
        from PIL import Image

        api = self._api(single_line, dark_on_light)
        api.SetImage(Image.fromarray(gray))
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
        return lines


class PytesseractEngine:
    """Fallback: one ``tesseract`` process per call, grouped into lines from its TSV output."""

    name = "pytesseract"

    def __init__(self, lang: str = "eng") -> None:
        import pytesseract  # noqa: F401

        if shutil.which("tesseract") is None:
            raise RuntimeError("the tesseract command is not installed")
        self._lang = lang

    def read_lines(
        self, gray: np.ndarray, *, single_line: bool = False, dark_on_light: bool = False
    ) -> list[OcrLine]:
        import pytesseract

        psm = 7 if single_line else 11
        invert = " -c tessedit_do_invert=0" if dark_on_light else ""
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
