"""Which app and which screen a frame shows, from the texts read on it: a pure function.

Every template (one app, one language) scores each screen kind from its own phrase lists; the
best score decides the kind and the template. Nothing here knows an app: the words and the
app's name come from ``ocr_templates/*.json``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from pipeline.templates import Template
from pipeline.textmatch import first_claim, first_match, matches

PERCENT = re.compile(r"(\d{1,3})\s?%")
TITLE_BONUS = 2  # a screen's title read besides its labels


class ScreenKind(StrEnum):
    """What a frame shows. The string values appear in logs and tests; never rename them."""

    CALIBRATION = "calibration"
    STATUS_LIST = "status_list"
    ABOUT = "about"
    SETTINGS = "settings"
    CAMERA = "camera"
    UNKNOWN = "unknown"

    @property
    def is_page(self) -> bool:
        """A full page (About, settings, a calibration dialog): no flight status bar decides."""
        return self in PAGE_KINDS

    @property
    def is_dialog(self) -> bool:
        """A dialog floats over the page it was started from: any sign of it decides the screen."""
        return self is ScreenKind.CALIBRATION


# Scored from the page's texts, in this order: an earlier kind wins a tie.
SCORED_KINDS = (ScreenKind.CALIBRATION, ScreenKind.STATUS_LIST, ScreenKind.ABOUT, ScreenKind.SETTINGS)
PAGE_KINDS = frozenset({ScreenKind.CALIBRATION, ScreenKind.ABOUT, ScreenKind.SETTINGS})


@dataclass(frozen=True)
class Classification:
    kind: ScreenKind  # CAMERA is never decided here: it takes the top bar's facts (see reader)
    template: Template
    app_scores: dict[str, int]  # app -> how many of its marker phrases were read


def calibration_score(template: Template, texts: Sequence[str]) -> int:
    """The menu row "Gimbal Calibration" is not the calibration: progress shows a percentage,
    or the dialog says it is done or failed."""
    words = template.calibration
    hits = sum(
        1
        for t in texts
        if (first_match(words.progress, t) and PERCENT.search(t))
        or first_match(words.done, t)
        or first_claim(words.failed, t)
    )
    return hits + TITLE_BONUS if hits else 0


def screen_score(template: Template, kind: ScreenKind, texts: Sequence[str]) -> int:
    """How well ``texts`` fit one screen of one template: labels found (at least the screen's
    minimum), plus a bonus for its title; 0 when it does not fit."""
    if kind is ScreenKind.CALIBRATION:
        return calibration_score(template, texts)
    sig = template.screens.get(kind)
    if sig is None:
        return 0
    labels = {p for p in sig.labels if any(matches(p, t) for t in texts)}
    titled = any(matches(p, t) for p in sig.title for t in texts)
    if len(labels) >= sig.min_labels:
        return len(labels) + (TITLE_BONUS if titled else 0)
    return 0


def marker_score(template: Template, texts: Sequence[str]) -> int:
    return sum(1 for m in template.app_markers if any(matches(m, t) for t in texts))


def _rank(kind: ScreenKind, score: int) -> tuple[bool, int]:
    """Dialogs first (see ``ScreenKind.is_dialog``), then the score."""
    return (kind.is_dialog and score > 0, score)


def classify(
    templates: Sequence[Template], page_texts: Sequence[str], bar_texts: Sequence[str]
) -> Classification:
    """The screen kind and template that fit ``page_texts`` best. The app's marker words come
    mostly from its bar (``bar_texts``); between templates that fit a screen equally, the one
    with more markers wins. With no screen recognised, the template with most markers."""
    everything = [*page_texts, *bar_texts]
    scored = [
        (tpl, marker_score(tpl, everything), {k: screen_score(tpl, k, page_texts) for k in SCORED_KINDS})
        for tpl in templates
    ]
    app_scores: dict[str, int] = {}
    for tpl, markers, _ in scored:  # one app, several languages: its best
        app_scores[tpl.app] = max(markers, app_scores.get(tpl.app, 0))
    best_kind, best_rank, best_tpl, best_markers = ScreenKind.UNKNOWN, (False, 0), scored[0][0], 0
    for tpl, markers, screens in scored:
        for kind in SCORED_KINDS:  # strictly better: earlier kinds and templates win ties
            rank = _rank(kind, screens[kind])
            more_markers = rank == best_rank and rank[1] > 0 and markers > best_markers
            if rank > best_rank or (more_markers and kind == best_kind):
                best_kind, best_rank, best_tpl, best_markers = kind, rank, tpl, markers
    if best_rank[1] == 0:
        best_tpl = max(scored, key=lambda item: item[1])[0]
    return Classification(best_kind, best_tpl, app_scores)
