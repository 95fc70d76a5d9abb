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
from difflib import SequenceMatcher
from functools import lru_cache

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


def _cjk_threshold(n: int) -> float:
    # Up to three characters, a word: exact. Up to six, one character may be misread.
    if n <= 3:
        return 1.0
    if n <= 6:
        return (n - 1) / n - 1e-9
    return 0.8


def _cjk_score(p: str, s: str, floor: float) -> float:
    """Character windows of the phrase's length (one more or less) over the line, spaces gone."""
    p, s = p.replace(" ", ""), s.replace(" ", "")
    if p in s:
        return 1.0
    n, best = len(p), 0.0
    for width in (n - 1, n, n + 1):
        if width < 1:
            continue
        for i in range(0, max(1, len(s) - width + 1)):
            m = SequenceMatcher(None, p, s[i : i + width])
            if m.real_quick_ratio() <= max(best, floor - 1e-9) or m.quick_ratio() <= max(best, floor - 1e-9):
                continue
            best = max(best, m.ratio())
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


@lru_cache(maxsize=262144)
def phrase_score(phrase: str, line: str, floor: float = 0.0) -> float:
    """Best similarity (0..1) of ``phrase`` with any word window of ``line``.

    With a ``floor``, windows that cannot reach it are skipped by the cheap upper bounds
    (length, then character counts) before the full comparison: the result is exact when it is
    at least ``floor`` and some smaller number otherwise, which is all a threshold test needs
    and several times faster over a page of lines that mostly do not match."""
    p, s = norm(phrase), norm(line)
    if not p or not s:
        return 0.0
    if is_cjk(p):
        return _cjk_score(p, s, floor)
    if re.search(r"(?<![\w])" + re.escape(p) + r"(?![\w])", s):
        return 1.0
    pw, sw = p.split(" "), s.split(" ")
    n = len(pw)
    best = 0.0
    for width in {n, n + 1}:
        for i in range(0, max(1, len(sw) - width + 1)):
            window = " ".join(sw[i : i + width])
            if len(window) < 0.9 * len(p):
                continue  # a shorter line cannot hold the whole phrase
            m = SequenceMatcher(None, p, window)
            bound = m.real_quick_ratio()
            if bound <= best or bound < floor:
                continue
            bound = m.quick_ratio()
            if bound <= best or bound < floor:
                continue
            best = max(best, m.ratio())
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


def any_match(phrases: list[str], lines: list[str]) -> list[str]:
    found: list[str] = []
    for phrase in phrases:
        if any(matches(phrase, line) for line in lines):
            found.append(phrase)
    return found
