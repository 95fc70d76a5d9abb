"""``ScreenReader``: one frame in, one ``Observation`` out; the only place pixels become words.

A full read takes three regions: the page (on this thread), the app's top bar and the phone's
clock strip (on a side thread, beside it). The page's texts decide the screen kind and the
template (``classify``); the kind decides which facts are extracted (``facts``, ``about``).
A light read (``read_bar``) takes only the clock and the bar, for a camera view that kept its
layout. The scheduler (``timeline``) owns the reader, one per video, and says which read to do.
"""

from __future__ import annotations

from concurrent.futures import Executor

import numpy as np

from pipeline.ocr import OcrEngine, OcrLine
from pipeline.reading.about import SerialReader
from pipeline.reading.classify import Classification, ScreenKind, classify
from pipeline.reading.facts import (
    BarFacts,
    bar_facts,
    calibration_facts,
    camera_facts,
    first_clock,
    phone_battery,
    status_facts,
)
from pipeline.reading.language import UiLanguage
from pipeline.reading.observation import Observation, ScreenFacts
from pipeline.reading.regions import OCR_MAX_HEIGHT, ClockReader, PageReader, TopBarReader, WarmText
from pipeline.templates import Template
from pipeline.textmatch import is_cjk

COUNTED = (ScreenKind.CAMERA, ScreenKind.UNKNOWN)  # screens whose satellite count decides a step
MIN_WORD_LETTERS = 3  # lines with fewer letters are icons and picture texture, never a screen word


class ScreenReader:
    """The region readers of one video, and what turns their lines into an ``Observation``."""

    def __init__(self, templates: tuple[Template, ...], engine: OcrEngine, pool: Executor) -> None:
        self.templates = templates
        self.language = UiLanguage(templates)
        self._engine = engine
        self._pool = pool
        self.clock = ClockReader(engine)
        self.bar = TopBarReader(engine)
        self.page = PageReader(engine, pool)
        self.serials = SerialReader(engine, pool, full_res_above=OCR_MAX_HEIGHT)

    def read(self, frame: np.ndarray, time_s: float, *, after_page: bool = False) -> Observation:
        """A full read. ``after_page``: the last read showed a page (About, settings,
        calibration), on which nothing decides on the bar; the bar is then read only if this
        screen turns out to be one that has it, after the page. Otherwise the bar and the clock
        strip go to a side thread while this one reads the page (Tesseract releases the GIL)."""
        strips = self._pool.submit(self._clock_only if after_page else self._bar_and_clock, frame)
        lines = self.page.lines(frame)
        (top_lines, warm, right), clock_lines = strips.result()
        texts = _words(lines)
        # The app's name and logo words come mostly from its bar: the last one read stands in.
        bar_lines = top_lines if top_lines is not None else self.bar.last_lines
        bar_texts = [x.text for x in bar_lines]
        found = classify(self.language.candidates(), texts, bar_texts)
        if found.kind is ScreenKind.UNKNOWN and self.language.wants_probe(len(texts), time_s):
            probe = self._probe(frame, bar_texts, time_s)
            if probe is not None:
                found, lines = probe
                texts = _words(lines)
        if found.kind is not ScreenKind.UNKNOWN and self.language.settle(found.template):
            self._use_model()
        kind, tpl = found.kind, found.template
        if top_lines is None and not kind.is_page:
            top_lines, warm, right = (
                self.bar.lines(frame),
                self.bar.warm_lines(frame),
                self.bar.right_lines(frame),
            )
        bar: BarFacts | None = None
        if top_lines is not None:
            bar = self._bar_facts(frame, top_lines, tpl, warm, right, kind in COUNTED)
            self.bar.bottom = bar.bottom  # not found: the next read takes the whole band again
            self.bar.last_lines = top_lines
        if kind is ScreenKind.UNKNOWN and bar is not None and (bar.text or bar.satellites is not None):
            kind = ScreenKind.CAMERA
        return Observation(
            time_s=time_s,
            screen=kind,
            template=tpl,
            clock=first_clock(clock_lines) or (bar.clock if bar else None),
            phone_battery=phone_battery(clock_lines, frame.shape[1]),
            bar=bar,
            facts=self._facts(kind, frame, lines, top_lines or [], tpl, time_s),
            app_scores=found.app_scores,
        )

    def read_bar(self, frame: np.ndarray, time_s: float, previous: Observation) -> Observation:
        """A light re-read of a camera view that has not changed its layout: only the clock and
        the top bar (status, satellites), about a fifth of the cost of a full read. The picture
        under the bar keeps moving, so without this a long camera hold would be read in full
        every time."""
        (top_lines, warm, right), clock_lines = self._bar_and_clock(frame)
        tpl = previous.template
        bar = self._bar_facts(frame, top_lines, tpl, warm, right, True) if tpl is not None else None
        self.bar.bottom = bar.bottom if bar is not None else None
        return Observation(
            time_s=time_s,
            screen=previous.screen,
            template=previous.template,
            clock=first_clock(clock_lines) or (bar.clock if bar else None),
            phone_battery=phone_battery(clock_lines, frame.shape[1]),
            bar=bar,
            light=True,
        )

    def _probe(
        self, frame: np.ndarray, bar_texts: list[str], time_s: float
    ) -> tuple[Classification, list[OcrLine]] | None:
        """The page read again with each model of the scripts the Latin model cannot read; the
        best recognised screen, or None. One read per model, on this thread (each read already
        uses the side threads), with no memory: these reads compare with nothing."""
        models = self.language.probe_models()
        self.language.probed(time_s, models)
        best: tuple[int, Classification, list[OcrLine]] | None = None
        for model in models:
            lines = PageReader(self._engine.for_lang(model), self._pool).lines(frame)
            found = classify(self.language.of_model(model), _words(lines), bar_texts)
            if found.kind is ScreenKind.UNKNOWN:
                continue
            score = sum(found.app_scores.values()) + len(_words(lines))
            if best is None or score > best[0]:
                best = (score, found, lines)
        return None if best is None else (best[1], best[2])

    def _use_model(self) -> None:
        """Pages and the bar's status line from now on in the settled language's model; what
        the readers remember was read with the old one."""
        engine = self.language.engine(self._engine)
        self.page = PageReader(engine, self._pool)
        self.bar.use(engine)
        self.serials.use(engine)

    def _facts(
        self,
        kind: ScreenKind,
        frame: np.ndarray,
        lines: list[OcrLine],
        top_lines: list[OcrLine],
        tpl: Template,
        time_s: float,
    ) -> ScreenFacts | None:
        if kind in (ScreenKind.CAMERA, ScreenKind.UNKNOWN):
            return camera_facts(lines + top_lines, frame.shape[0], tpl)
        if kind is ScreenKind.CALIBRATION:
            return calibration_facts([x.text for x in lines], tpl)
        if kind is ScreenKind.STATUS_LIST:
            return status_facts(frame, lines, tpl)
        if kind is ScreenKind.ABOUT:
            return self.serials.facts(frame, lines, tpl, time_s)
        return None

    def _bar_facts(
        self,
        frame: np.ndarray,
        top_lines: list[OcrLine],
        tpl: Template,
        warm: WarmText | None,
        right: list[OcrLine] | None,
        count_matters: bool,
    ) -> BarFacts:
        """The bar's facts; when no read found the satellite count, one more read of the bar's
        right side for small text (``TopBarReader.small_text_lines``)."""
        facts = bar_facts(frame, top_lines, tpl, warm.lines if warm else (), right or ())
        if facts.satellites is None and count_matters:
            small = self.bar.small_text_lines(frame)
            facts = bar_facts(frame, top_lines, tpl, warm.lines if warm else (), right or (), small)
        return facts

    def _bar_and_clock(
        self, frame: np.ndarray
    ) -> tuple[tuple[list[OcrLine], WarmText, list[OcrLine]], list[OcrLine]]:
        """The bar (its status line, its warm-coloured text, its right side) and the clock."""
        bar = self.bar
        return (bar.lines(frame), bar.warm_lines(frame), bar.right_lines(frame)), self.clock.lines(frame)

    def _clock_only(self, frame: np.ndarray) -> tuple[tuple[None, None, None], list[OcrLine]]:
        return (None, None, None), self.clock.lines(frame)


def _words(lines: list[OcrLine]) -> list[str]:
    """The lines that can be screen words: a few letters (a Chinese or Japanese character
    counts as two: a word of two of them is a whole label), never icons or picture texture."""
    return [x.text for x in lines if sum(1 + is_cjk(c) for c in x.text if c.isalpha()) >= MIN_WORD_LETTERS]
