"""Fuzzy phrase matching for OCR text: screen words survive a letter or two of OCR noise.

Matching is word-window based: a phrase of n words is compared with every n-word window of the
line, so "Remote Controller SN" is found inside "Remote Controller SN 1581F..." and a misread
"Noval" still matches "Normal" only when the phrase is long enough to make that safe.

Other languages: text is compared in NFKC form (full-width brackets and digits as ASCII) with
the accents of Latin letters dropped ("Numéro de série" as "numero de serie"), because a Latin
model reads an accent as often wrong as right. Chinese, Japanese and Korean phrases have no
spaces to cut windows at, and Tesseract puts spaces between their characters at will: they are
compared character by character with the spaces removed (``_cjk_score``).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from difflib import SequenceMatcher
from functools import lru_cache
from itertools import accumulate

_SPACE = re.compile(r"\s+")
_NOISE = re.compile(r"[^\w%°()/.:\-+ ]", re.UNICODE)
# Han, kana, Hangul (syllables and jamo), CJK punctuation: scripts written without spaces.
_CJK = re.compile(r"[\u1100-\u11ff\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_LATIN_END = 0x250  # code points below: Latin letters, whose accents are dropped


def _drop_latin_accents(text: str) -> str:
    out: list[str] = []
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.category(ch) == "Mn" and out and ord(out[-1]) < _LATIN_END:
            continue
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


@lru_cache(maxsize=65536)
def norm(text: str) -> str:
    text = _drop_latin_accents(unicodedata.normalize("NFKC", text))
    return _SPACE.sub(" ", _NOISE.sub(" ", text.lower())).strip()


def is_cjk(text: str) -> bool:
    """Whether ``text`` holds characters of a script written without spaces."""
    return _CJK.search(text) is not None


def _cjk_allowed(n: int) -> int:
    """Characters of a phrase of ``n`` that may be misread or missing: none in a word of up to
    three, one up to fifteen. Counted in characters, not as a ratio: "ジンバルキャリブレーション"
    (the menu row) must not pass for "ジンバルキャリブレーション失敗" (failed), two characters more."""
    return 0 if n <= 3 else 1 if n <= 15 else 2


def _cjk_threshold(n: int) -> float:
    return (n - _cjk_allowed(n)) / n - 1e-9


def _cjk_score(p: str, s: str, floor: float) -> float:
    """The share of the phrase's characters found in order in the best window of the line (of
    the phrase's length, give or take the characters allowed), spaces gone."""
    p, s = p.replace(" ", ""), s.replace(" ", "")
    if p in s:
        return 1.0
    n, slack = len(p), _cjk_allowed(len(p))
    # The characters found in order are at most the characters the two have in common: a line
    # (then a window) with too few of the phrase's characters cannot reach ``floor``, and most
    # lines of a page share one or two with a given phrase. Their bound is returned, below it.
    counts = _char_counts(p)
    bound = _common_chars(counts, s) / n
    if bound < floor:
        return bound
    best = 0.0
    for width in range(max(1, n - slack), n + slack + 1):
        for i in range(0, max(1, len(s) - width + 1)):
            window = s[i : i + width]
            if floor and _common_chars(counts, window) / n < max(floor, best + 1e-12):
                continue
            blocks = SequenceMatcher(None, p, window, autojunk=False).get_matching_blocks()
            found = sum(b.size for b in blocks)
            best = max(best, found / n)
    return best


def _threshold(phrase: str) -> float:
    # Short words must match exactly: "IMU" vs "IMO" is not a safe guess.
    n = len(phrase)
    if n <= 4:
        return 1.0
    if " " not in phrase:
        # One word: "calibrating" must not pass for "calibration".
        return 0.93
    if n <= 8:
        return 0.88
    return 0.86


@lru_cache(maxsize=4096)
def _whole_word(phrase: str) -> re.Pattern[str]:
    """The normalised phrase as a whole word or words (compiled once: the ``re`` module's own
    cache holds 512 patterns, fewer than the phrases of all templates)."""
    return re.compile(r"(?<![\w])" + re.escape(phrase) + r"(?![\w])")


@lru_cache(maxsize=4096)
def _char_counts(text: str) -> tuple[tuple[str, int], ...]:
    return tuple(Counter(text).items())


def _common_chars(counts: tuple[tuple[str, int], ...], window: str) -> int:
    """Characters two strings share, counted with multiplicity: ``quick_ratio``'s ``matches``."""
    common = 0
    for char, n in counts:
        k = window.count(char)
        common += n if n < k else k
    return common


def _ratio(matched: int, length: int) -> float:
    """``difflib``'s own arithmetic for its ratios, so that a bound computed here is the very
    float its ``real_quick_ratio`` and ``quick_ratio`` would give."""
    return 2.0 * matched / length if length else 1.0


@lru_cache(maxsize=262144)
def phrase_score(phrase: str, line: str, floor: float = 0.0) -> float:
    """Best similarity (0..1) of ``phrase`` with any word window of ``line``.

    With a ``floor``, windows that cannot reach it are skipped by the cheap upper bounds
    (length, then character counts) before the full comparison: the result is exact when it is
    at least ``floor`` and some smaller number otherwise, which is all a threshold test needs
    and several times faster over a page of lines that mostly do not match. The bounds are
    ``SequenceMatcher.real_quick_ratio`` and ``quick_ratio``, computed here without building a
    matcher (building one indexes the window: most of the cost, for windows that mostly fail
    the bounds); a matcher is built only for the windows that pass them."""
    p, s = norm(phrase), norm(line)
    if not p or not s:
        return 0.0
    if is_cjk(p):
        return _cjk_score(p, s, floor)
    if _whole_word(p).search(s):
        return 1.0
    sw = s.split(" ")
    n = p.count(" ") + 1
    lp = len(p)
    p_counts = _char_counts(p)
    ends = list(accumulate((len(word) + 1 for word in sw), initial=0))  # word starts, +1 for spaces
    best = 0.0
    for width in {n, n + 1}:
        for i in range(0, max(1, len(sw) - width + 1)):
            stop = min(i + width, len(sw))
            lw = ends[stop] - ends[i] - 1  # len(" ".join(sw[i:stop])), before joining
            if lw < 0.9 * lp:
                continue  # a shorter line cannot hold the whole phrase
            length = lp + lw
            bound = _ratio(min(lp, lw), length)  # real_quick_ratio
            if bound <= best or bound < floor:
                continue
            window = " ".join(sw[i:stop])
            bound = _ratio(_common_chars(p_counts, window), length)  # quick_ratio
            if bound <= best or bound < floor:
                continue
            best = max(best, SequenceMatcher(None, p, window).ratio())
    return best


@lru_cache(maxsize=262144)
def matches(phrase: str, line: str) -> bool:
    """Whether ``phrase`` is in ``line``, OCR noise allowed. Cached whole: a page read again
    mostly gives the lines it gave before, and each is tested against every screen word."""
    p = norm(phrase)
    if is_cjk(p):
        threshold = _cjk_threshold(len(p.replace(" ", "")))
        return phrase_score(phrase, line, threshold) >= threshold
    if len(line) < 0.6 * len(phrase):
        return False  # too short to hold the phrase even with noise
    threshold = _threshold(p)
    return phrase_score(phrase, line, threshold) >= threshold


def first_match(phrases: list[str], line: str) -> str | None:
    """The longest phrase that matches (longest first so "IMU Calibration Required" wins over
    "Calibration Required")."""
    for phrase in sorted(phrases, key=len, reverse=True):
        if matches(phrase, line):
            return phrase
    return None


def first_claim(phrases: list[str], line: str) -> str | None:
    """``first_match`` for the words that accuse (errors, warnings, a failure). A Chinese or
    Japanese warning is often an ordinary row's words and one character more: "无GPS" (no GPS)
    is "GPS" with 无, "指南针异常" (compass abnormal) is "指南针正常" (normal) with one character
    changed. A misread character there turns an honest screen into a rejection, so such a
    phrase must be read whole; Latin phrases match as in ``first_match``."""
    for phrase in sorted(phrases, key=len, reverse=True):
        p = norm(phrase)
        if is_cjk(p):
            if p.replace(" ", "") in norm(line).replace(" ", ""):
                return phrase
        elif matches(phrase, line):
            return phrase
    return None


def any_match(phrases: list[str], lines: list[str]) -> list[str]:
    found: list[str] = []
    for phrase in phrases:
        if any(matches(phrase, line) for line in lines):
            found.append(phrase)
    return found
