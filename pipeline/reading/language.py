"""The UI language of one video: which templates classify its screens, and which Tesseract
model reads its pages and its bar.

A check must not take N times longer for N languages, so languages are told apart in two ways:
- Latin-script templates (English, French, German, ...) are all matched against the pages the
  Latin model has read anyway: accents aside (``textmatch.norm`` drops them), the same letters.
  No extra read.
- Scripts the Latin model cannot read (Chinese, Japanese, Korean) are tried only when a page
  full of text matched no template: that page is read once with each of their models (a
  *probe*), a few times per video at most.
A camera view of such a language is told before any page is: on the first probe its top bar
is read with each of their models, and ready words there, read closer in one language than in
any other, settle it without a probe of the page (``language_of_bar``).
The first screen a template recognises settles the language: from then on only that
language's templates classify, and its model reads the page and the bar. A video in which
text-filled pages were seen but none was ever recognised is in a language we do not know,
which is a reason to look, not to reject (``analyse``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from pipeline.ocr import OcrEngine, OcrLine, model_available
from pipeline.templates import Template
from pipeline.textmatch import any_match, is_cjk, matches, phrase_score

LATIN_MODEL = "eng"  # reads every page until a language is settled; reads every serial
PROBE_MIN_LINES = 3  # text lines (of a few letters) on a page before it is worth a probe
PROBE_GAP_S = 1.0  # between two probes
PROBE_MAX = 3  # probes per video
# A probe first reads the page with one model per script family, its scout (the template
# field ``scout``): Han characters (Chinese, Japanese kanji) read with the simplified Chinese
# model keep their confidence in every Han language, Hangul with the Korean one; only a scout
# that finds its script in earnest has the family's other models read the page too. A camera
# view or a Latin page costs the scouts' reads alone. (Measured on the fixtures: 27-38
# confident Han characters on Chinese and Japanese pages, at most 7 on camera views and Latin
# pages; the Korean model likewise.)
EVIDENCE_PAGES = 3  # frames of unknown pages kept as evidence for a reviewer
SCRIPT_MIN_CHARS = 15  # confident CJK characters a scout must read to call the script present
SCOUT_CONFIDENCE = 60
# The bar tells its language by its ready words (the status every recording shows on its
# first camera view), by their CJK characters alone, and only with a few of them. Not by its
# warnings: sister scripts write many alike ("退出GPS模式", exit GPS mode, is simplified and
# traditional Chinese at once), and a template that lacks one would hand it to the other.
# "飛行中" (in flight) is Japanese and traditional Chinese alike: a bar saying it settles nothing.
BAR_WORD_CHARS = 3
# The bar is tried on the first probe only: a pill that says no ready words (a warning, a
# status in flight) says none on the next camera view either, and its four reads would be
# paid again for nothing (measured: a third of a second each time on 720p error fixtures).
BAR_PROBES = 1
_HANGUL = re.compile(r"[\u1100-\u11ff\uac00-\ud7af]")


def is_latin(template: Template) -> bool:
    """A template whose words the Latin model reads: none of its phrases is CJK."""
    return not any(is_cjk(p) for p in template.phrases())


def family(template: Template) -> str:
    """The script family of a CJK template: Hangul, or Han (Chinese, Japanese)."""
    return "hangul" if any(_HANGUL.search(p) for p in template.phrases()) else "han"


def script_present(lines: Sequence[OcrLine]) -> bool:
    """Whether a scout's read found its script: enough CJK characters read with confidence."""
    found = sum(sum(is_cjk(c) for c in x.text) for x in lines if x.confidence >= SCOUT_CONFIDENCE)
    return found >= SCRIPT_MIN_CHARS


def bar_words(template: Template) -> list[str]:
    """The words of a camera view's bar: its flight status and warnings."""
    return [*template.status.ready, *template.status.errors, *template.camera.gps_weak]


def cjk_part(text: str) -> str:
    """The CJK characters of ``text``, in order: Latin letters, digits and spaces dropped."""
    return "".join(c for c in text if is_cjk(c))


def language_words(template: Template) -> list[str]:
    """The CJK parts of a template's ready words that can tell its language (``BAR_WORD_CHARS``)."""
    return [w for w in (cjk_part(p) for p in template.status.ready) if len(w) >= BAR_WORD_CHARS]


def understood(templates: Sequence[Template], bar_texts: Sequence[str]) -> bool:
    """Whether the bar, as read, says something in one of ``templates``' words: a camera view
    in a language the current read understands, which no probe would recognise as a page."""
    lines = [t for t in bar_texts if t.strip()]
    return bool(lines) and any(any_match(bar_words(t), lines) for t in templates)


@dataclass
class UiLanguage:
    """The language state of one video, owned by its ``ScreenReader``."""

    templates: tuple[Template, ...]
    settled: str | None = None  # the language code ("fr", "zh-CN") once a screen was recognised
    model: str = LATIN_MODEL
    probes: int = 0
    last_probe_s: float | None = None
    text_pages: int = 0  # text-filled pages no template recognised, before settling
    tried: list[str] = field(default_factory=list)  # models probed
    # Full reads, the whole video long, of a page full of words that no template recognised
    # and no camera view explains: what the pipeline saw but could not read.
    unknown_pages: int = 0
    unknown_times: list[float] = field(default_factory=list)  # the first few, for evidence

    def unknown_page(self, time_s: float) -> None:
        self.unknown_pages += 1
        if len(self.unknown_times) < EVIDENCE_PAGES:
            self.unknown_times.append(time_s)

    def __post_init__(self) -> None:
        self._latin = tuple(t for t in self.templates if is_latin(t))
        self._other = tuple(t for t in self.templates if not is_latin(t))
        self._chosen: tuple[Template, ...] = self._latin
        # The installed models of the templates the Latin read cannot match, in file order.
        self._models = list(dict.fromkeys(t.tesseract for t in self._other if model_available(t.tesseract)))

    def candidates(self) -> tuple[Template, ...]:
        """The templates to classify a read of the current model with."""
        return self._chosen

    def of_model(self, model: str) -> tuple[Template, ...]:
        """The templates a probe with ``model`` is classified with."""
        return tuple(t for t in self._other if t.tesseract == model)

    def probe_models(self) -> list[str]:
        return list(self._models)

    def probe_plan(self) -> list[tuple[str | None, list[str]]]:
        """Per script family: its scout model (None: no scout installed, read every model) and
        the family's other models, read once the scout found the script."""
        plan: list[tuple[str | None, list[str]]] = []
        for name in dict.fromkeys(family(t) for t in self._other):
            models = [
                m for m in self._models if any(t.tesseract == m and family(t) == name for t in self._other)
            ]
            scouts = [t.tesseract for t in self._other if t.scout and family(t) == name]
            scout = next((m for m in scouts if m in models), None)
            plan.append((scout, [m for m in models if m != scout]))
        return plan

    def language_of_bar(self, reads: Sequence[Sequence[str]]) -> Template | None:
        """The CJK template whose ready words the bar says, in ``reads`` (its status text read
        with each CJK model), closer than any other language's; else None. Every read is
        matched against every CJK template: a sister script's model reads the same pill in its
        own forms (the traditional Chinese model reads "起飞准备完毕" as "起下準備完畢", one
        character off its own language's words), so only the closest match tells, and a tie
        (both Chinese models each reading the pill as their own) settles nothing."""
        texts = [c for read in reads for c in (cjk_part(t) for t in read) if c]
        best: dict[str, tuple[float, Template]] = {}
        for tpl in self._other:
            for word in language_words(tpl):
                for text in texts:
                    if matches(word, text):
                        score = phrase_score(word, text)
                        if score > best.get(tpl.language, (0.0, tpl))[0]:
                            best[tpl.language] = (score, tpl)
        ranked = sorted(best.values(), key=lambda x: -x[0])
        if not ranked or (len(ranked) > 1 and ranked[1][0] >= ranked[0][0]):
            return None
        return ranked[0][1]

    def wants_bar_probe(self) -> bool:
        """Whether this probe begins with the bar (``BAR_PROBES``)."""
        return self.probes < BAR_PROBES

    def wants_probe(self, text_lines: int, time_s: float) -> bool:
        """A page full of text that no template recognised, while the language is open."""
        if self.settled is not None or text_lines < PROBE_MIN_LINES:
            return False
        self.text_pages += 1
        if self.probes >= PROBE_MAX or not self.probe_models():
            return False
        return self.last_probe_s is None or time_s - self.last_probe_s >= PROBE_GAP_S

    def probed(self, time_s: float, models: Sequence[str]) -> None:
        self.probes += 1
        self.last_probe_s = time_s
        self.tried += [m for m in models if m not in self.tried]

    def settle(self, template: Template) -> bool:
        """Take ``template``'s language; True when the reading model changes with it. A Latin
        UI stays with the Latin model that recognised it: its words already matched (accents
        dropped), and a model switched mid-video reads the same device name two ways, which the
        continuity check would rightly call a doubt (seen on the Spanish fixture: "DJIAF 3" and
        "DIUAT3"). Only a script the Latin model cannot read changes the model."""
        if self.settled is not None:
            return False
        self.settled = template.language
        self._chosen = tuple(t for t in self.templates if t.language == template.language)
        if is_latin(template) or template.tesseract == self.model:
            return False
        self.model = template.tesseract
        return True

    @property
    def unrecognised(self) -> bool:
        """Pages full of text were seen, and no template ever recognised one."""
        return self.settled is None and self.text_pages >= 2

    def engine(self, base: OcrEngine) -> OcrEngine:
        return base.for_lang(self.model)
