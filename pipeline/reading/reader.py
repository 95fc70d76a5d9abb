"""``ScreenReader``: one frame in, one ``Observation`` out; the only place pixels become words.

A full read takes three regions: the page (on this thread), the app's top bar and the phone's
clock strip (on a side thread, beside it). The page's texts decide the screen kind and the
template (``classify``); the kind decides which facts are extracted (``facts``, ``about``).
A light read (``read_bar``) takes only the clock and the bar, for a camera view that kept its
layout. The scheduler (``timeline``) owns the reader, one per video, and says which read to do.
"""

from __future__ import annotations

import logging
from concurrent.futures import Executor
from dataclasses import replace

import numpy as np

from pipeline.ocr import OcrEngine, OcrLine
from pipeline.reading.about import SerialReader
from pipeline.reading.classify import Classification, ScreenKind, classify, marker_score, screen_score
from pipeline.reading.facts import (
    BarFacts,
    bar_facts,
    calibration_facts,
    camera_facts,
    first_clock,
    phone_battery,
    status_facts,
)
from pipeline.reading.language import PROBE_MIN_LINES, UiLanguage, is_latin, script_present, understood
from pipeline.reading.observation import Observation, ScreenFacts
from pipeline.reading.regions import (
    CJK_MAX_SCALE,
    CJK_PAGE_HEIGHT,
    OCR_MAX_HEIGHT,
    RIGHT_FROM_X,
    ClockReader,
    PageReader,
    TopBarReader,
    WarmText,
    page_image,
    status_band,
)
from pipeline.reading.rows import joined_pieces
from pipeline.reading.work import read_band, split_work
from pipeline.templates import Template
from pipeline.textmatch import is_cjk

log = logging.getLogger(__name__)

COUNTED = (ScreenKind.CAMERA, ScreenKind.UNKNOWN)  # screens whose satellite count decides a step
LIVE_SCREENS = frozenset({ScreenKind.CAMERA})  # a moving picture: no page comparison after one
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
        # A camera view read again: its words are banners and readouts, large or digits, never
        # the small labels a CJK page is enlarged for. The same reader until a CJK model settles.
        self.live_page = self.page
        self.serials = SerialReader(engine, pool, full_res_above=OCR_MAX_HEIGHT)
        self._last_screen: ScreenKind | None = None  # of the last read, full or light

    def read(
        self, frame: np.ndarray, time_s: float, *, after_page: bool = False, refresh: bool = False
    ) -> Observation:
        """A full read. ``after_page``: the last read showed a page (About, settings,
        calibration), on which nothing decides on the bar; the bar is then read only if this
        screen turns out to be one that has it, after the page. Otherwise the bar and the clock
        strip go to a side thread while this one reads the page (Tesseract releases the GIL).
        ``refresh``: the screen has not changed since the last read; a camera view refreshed is
        read by ``live_page``."""
        strips = self._pool.submit(self._clock_only if after_page else self._bar_and_clock, frame)
        live = self._last_screen in LIVE_SCREENS
        lines = (self.live_page if live and refresh else self.page).lines(frame, compare=not live)
        (top_lines, warm, right), clock_lines = strips.result()
        texts = _words(lines)
        # The app's name and logo words come mostly from its bar: the last one read stands in.
        bar_lines = top_lines if top_lines is not None else self.bar.last_lines
        bar_texts = [x.text for x in bar_lines]
        found = classify(self.language.candidates(), texts, bar_texts)
        # A page full of words no template knows, while the language is open: maybe a page in
        # a script the Latin read cannot see. It stays "unknown" (read in full, never through
        # its bar alone) until a probe or a later screen settles the language.
        unread_page = (
            found.kind is ScreenKind.UNKNOWN
            and self.language.settled is None
            and _word_lines(lines) >= PROBE_MIN_LINES
            and not understood(self.language.candidates(), bar_texts)
        )
        if unread_page and self.language.wants_probe(_word_lines(lines), time_s):
            said = self._bar_probe(frame, time_s) if self.language.wants_bar_probe() else None
            if said is not None:  # the bar's words settle the language: the page read in it,
                self.language.settle(said)  # as a camera view's (its bar says a flight status)
                self._use_model()
                # The bar again in the new model, beside the page; unused if this is a page.
                again = self._pool.submit(self._bar_only, frame)
                lines = self.live_page.lines(frame, compare=False)
                texts = _words(lines)
                found = classify(self.language.candidates(), texts, bar_texts)
                bar_read = again.result()
                top_lines, warm, right = (None, None, None) if found.kind.is_page else bar_read
                unread_page = False
            else:
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
        if (
            kind is ScreenKind.UNKNOWN
            and not unread_page
            and bar is not None
            and (bar.text or bar.satellites is not None)
        ):
            kind = ScreenKind.CAMERA
        if (
            kind is ScreenKind.UNKNOWN
            and _word_lines(lines) >= PROBE_MIN_LINES
            and (bar is None or bar.satellites is None)
        ):
            self.language.unknown_page(time_s)  # words on a page no template knows
        self._last_screen = kind
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
        self._last_screen = previous.screen
        return Observation(
            time_s=time_s,
            screen=previous.screen,
            template=previous.template,
            clock=first_clock(clock_lines) or (bar.clock if bar else None),
            phone_battery=phone_battery(clock_lines, frame.shape[1]),
            bar=bar,
            light=True,
        )

    def _bar_probe(self, frame: np.ndarray, time_s: float) -> Template | None:
        """The bar's status text read with each model the Latin one cannot stand in for: the
        template whose words it says, when one language alone says them
        (``UiLanguage.language_of_bar``). Four reads of the top seventh of the frame: on a
        camera view, the usual first screen, they spare the page probe (which never recognises
        one) and the probe of the first page after it."""
        band, x0 = status_band(frame), frame.shape[1] * RIGHT_FROM_X
        models = self.language.probe_models()
        calls = [lambda m=m: self._engine.for_lang(m).read_lines(band) for m in models]
        reads = split_work(self._pool, calls)
        said = self.language.language_of_bar([[x.text for x in read if x.x < x0] for read in reads])
        if said is not None:
            self.language.probed(time_s, [said.tesseract])
            log.debug("bar %.2f: %s", time_s, said.language)
        return said

    def _probe(
        self, frame: np.ndarray, bar_texts: list[str], time_s: float
    ) -> tuple[Classification, list[OcrLine]] | None:
        """The page read again with the models of the scripts the Latin model cannot read (a
        scout per script family first); the best recognised screen, or None. Each model reads
        the whole page on one thread, the models side by side: one loaded model each, not one
        per half page. No memory."""
        image, scale = page_image(frame, CJK_PAGE_HEIGHT, CJK_MAX_SCALE)
        plan = self.language.probe_plan()

        def read(models: list[str]) -> dict[str, list[OcrLine]]:
            calls = [lambda m=m: self._probe_read(m, image, scale) for m in models]
            return dict(zip(models, split_work(self._pool, calls), strict=True))

        reads = read([scout for scout, _ in plan if scout is not None])
        found_script = [s is None or script_present(reads[s]) for s, _ in plan]
        reads |= read([m for (_, others), yes in zip(plan, found_script, strict=True) if yes for m in others])
        self.language.probed(time_s, list(reads))
        best: tuple[tuple[bool, int, int], Classification, list[OcrLine]] | None = None
        for model, lines in reads.items():
            texts = _words(lines)
            found = classify(self.language.of_model(model), texts, bar_texts)
            if found.kind is ScreenKind.UNKNOWN:
                continue
            # Sister scripts (simplified and traditional Chinese, Japanese kanji) share many
            # characters: the template that knows more of the page's words is its language.
            tpl = found.template
            score = (
                found.kind.is_dialog,
                screen_score(tpl, found.kind, texts),
                marker_score(tpl, [*texts, *bar_texts]),
            )
            log.debug("probe %.2f %s: %s %s %s", time_s, model, found.kind, tpl.language, score)
            if best is None or score > best[0]:
                best = (score, found, lines)
        return None if best is None else (best[1], best[2])

    def _probe_read(self, model: str, image: np.ndarray, scale: float) -> list[OcrLine]:
        lines = read_band(self._engine.for_lang(model), image, 0, image.shape[0])
        return [x.shifted(0, 0, scale) for x in sorted(lines, key=lambda x: (x.y, x.x))]

    def _use_model(self) -> None:
        """Pages and the bar's status line from now on in the settled language's model; what
        the readers remember was read with the old one."""
        engine = self.language.engine(self._engine)
        latin = self.language.settled is None or all(is_latin(t) for t in self.language.candidates())
        self.page = PageReader(engine, self._pool) if latin else _cjk_page(engine, self._pool)
        self.live_page = self.page if latin else PageReader(engine, self._pool)
        self.bar.use(engine)
        self.serials.use(engine, OCR_MAX_HEIGHT if latin else CJK_PAGE_HEIGHT)

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
            return calibration_facts([x.text for x in lines] + joined_pieces(lines), tpl)
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
        """The bar's facts; when no read found the status text on a screen that has one, the
        bar's left read again as bright text (``TopBarReader.left_lines``); when none found
        the satellite count, one more read of the bar's right side for small text
        (``TopBarReader.small_text_lines``)."""
        facts = bar_facts(frame, top_lines, tpl, warm.lines if warm else (), right or ())
        if facts.text is None and count_matters:
            top_lines = top_lines + self.bar.left_lines(frame)
            facts = bar_facts(frame, top_lines, tpl, warm.lines if warm else (), right or ())
            # The status line's box from that read is not the bar read's: later reads keep
            # taking the whole band, as they would have (a band cut at that box lost the
            # battery's first digit, "64%" read "1%", and a false battery jump followed).
            facts = replace(facts, bottom=None)
        if (facts.satellites is None or facts.satellites_glued) and count_matters:
            small = self.bar.small_text_lines(frame)
            facts = bar_facts(frame, top_lines, tpl, warm.lines if warm else (), right or (), small)
        return facts

    def _bar_and_clock(
        self, frame: np.ndarray
    ) -> tuple[tuple[list[OcrLine], WarmText, list[OcrLine]], list[OcrLine]]:
        """The bar (its status line, its warm-coloured text, its right side) and the clock."""
        return self._bar_only(frame), self.clock.lines(frame)

    def _bar_only(self, frame: np.ndarray) -> tuple[list[OcrLine], WarmText, list[OcrLine]]:
        return self.bar.lines(frame), self.bar.warm_lines(frame), self.bar.right_lines(frame)

    def _clock_only(self, frame: np.ndarray) -> tuple[tuple[None, None, None], list[OcrLine]]:
        return (None, None, None), self.clock.lines(frame)


def _cjk_page(engine: OcrEngine, pool: Executor) -> PageReader:
    return PageReader(engine, pool, CJK_PAGE_HEIGHT, CJK_MAX_SCALE)


def _is_word(text: str) -> bool:
    """A few letters (a Chinese or Japanese character counts as two: a word of two of them is a
    whole label), never an icon or picture texture."""
    return sum(1 + is_cjk(c) for c in text if c.isalpha()) >= MIN_WORD_LETTERS


def _words(lines: list[OcrLine]) -> list[str]:
    """The texts that can be screen words: the lines', and those of lines Tesseract returned in
    pieces, joined (``rows``)."""
    return [t for t in [x.text for x in lines] + joined_pieces(lines) if _is_word(t)]


def _word_lines(lines: list[OcrLine]) -> int:
    """How many lines read can be screen words: a page "full of words" is counted in lines."""
    return sum(_is_word(x.text) for x in lines)
