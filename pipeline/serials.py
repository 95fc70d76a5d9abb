"""Serial numbers: normalise OCR reads with what the format allows, then compare.

Two formats are known: ANSI/CTA-2063-A (``1581`` manufacturer code for DJI, one length
character, then the serial; the letters O and I never occur) and the older 14-character DJI
serials, which avoid O and I too. So O->0 and I->1 are corrections the format makes certain.
B/8, S/5, Z/2 and G/6 are all legal characters: a difference there may be OCR noise or a real
difference, and only a clean re-read can tell. ``compare`` therefore says ``ambiguous`` for
those, and the verdict turns ambiguity into review, never into approval.
"""

from __future__ import annotations

import re
from enum import StrEnum

CTA_CHARS = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_LENGTH_CODES = {c: i for i, c in enumerate("123456789ABCDEF", start=1)}
_CERTAIN = str.maketrans({"O": "0", "I": "1"})
# Q loses its tail at low resolution and reads as O, which the format turns into 0.
AMBIGUOUS_PAIRS = {frozenset(p) for p in ("B8", "S5", "Z2", "G6", "D0", "T7", "L1", "A4", "Q0")}
_NON_ALNUM = re.compile(r"[^A-Z0-9]")


class Match(StrEnum):
    EXACT = "exact"
    AMBIGUOUS = "ambiguous"
    MISMATCH = "mismatch"


def clean(text: str) -> str:
    return _NON_ALNUM.sub("", text.upper())


def normalise(text: str) -> str:
    """The canonical form of a read: upper case, alphanumerics, O->0 and I->1."""
    return clean(text).translate(_CERTAIN)


def is_cta(serial: str) -> bool:
    """ANSI/CTA-2063-A: 4-char manufacturer code, length code, then that many characters."""
    s = normalise(serial)
    if len(s) < 6 or any(c not in CTA_CHARS for c in s):
        return False
    n = _LENGTH_CODES.get(s[4])
    return n is not None and len(s) == 5 + n


def is_legacy(serial: str) -> bool:
    s = normalise(serial)
    return len(s) == 14 and s.isalnum()


def is_valid(serial: str) -> bool:
    return is_cta(serial) or is_legacy(serial)


def compare(read: str, expected: str) -> Match:
    a, b = normalise(read), normalise(expected)
    if a == b:
        return Match.EXACT
    if len(a) != len(b):
        return Match.MISMATCH
    diffs = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
    if all(frozenset(d) in AMBIGUOUS_PAIRS for d in diffs):
        return Match.AMBIGUOUS
    return Match.MISMATCH


def best_read(reads: list[str], expected: str | None) -> tuple[str | None, Match | None]:
    """Decide over every read of one serial (several frames, several re-reads).

    Any read that equals the expected serial settles it: OCR noise does not invent the right
    characters. Otherwise the most frequent valid read is the answer.
    """
    valid = [normalise(r) for r in reads if is_valid(r)]
    if not valid:
        return None, None
    if expected:
        for r in valid:
            if compare(r, expected) is Match.EXACT:
                return r, Match.EXACT
        results = [(compare(r, expected), r) for r in valid]
        ambiguous = [r for m, r in results if m is Match.AMBIGUOUS]
        if ambiguous:
            return max(set(ambiguous), key=ambiguous.count), Match.AMBIGUOUS
    top = max(set(valid), key=valid.count)
    return top, (compare(top, expected) if expected else None)
