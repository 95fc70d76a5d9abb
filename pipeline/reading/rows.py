"""Words of one text line that Tesseract returned in pieces, joined again.

Tesseract's line finder sometimes loses a glyph pair in the middle of a bold word and returns
the two sides as separate lines ("Cal" and "ration complete" for "Calibration complete"); which
word it breaks changes with a row of padding. Matched one by one, neither piece is the phrase;
joined, the phrase's fuzzy match sees one word with two letters missing, which its thresholds
allow. Only pieces that sit on one row with a gap of at most a couple of letters are joined: a
label and its value (a status row, a serial row) stand much further apart.
"""

from __future__ import annotations

from pipeline.ocr import OcrLine

MAX_GAP_HEIGHTS = 2.0  # widest gap joined, in line heights (two or three missing letters)
MIN_OVERLAP = 0.6  # of the shorter piece's height, shared by both rows
MAX_HEIGHT_RATIO = 1.6  # pieces of one line are of one size


def _same_row(a: OcrLine, b: OcrLine) -> bool:
    low, high = min(a.h, b.h), max(a.h, b.h)
    if low <= 0 or high > MAX_HEIGHT_RATIO * low:
        return False
    overlap = min(a.y + a.h, b.y + b.h) - max(a.y, b.y)
    return overlap >= MIN_OVERLAP * low


def _follows(a: OcrLine, b: OcrLine) -> bool:
    """Whether ``b`` continues ``a`` to its right on the same line."""
    gap = b.x - (a.x + a.w)
    return _same_row(a, b) and -0.5 * a.h <= gap <= MAX_GAP_HEIGHTS * max(a.h, b.h)


def joined_pieces(lines: list[OcrLine]) -> list[str]:
    """The texts of runs of two or more pieces of one line, each run joined with spaces, left to
    right. The pieces' own texts are not repeated here."""
    ordered = sorted((x for x in lines if x.text.strip()), key=lambda x: (x.x, x.y))
    used: set[int] = set()
    out: list[str] = []
    for i, first in enumerate(ordered):
        if i in used:
            continue
        run, last = [first], first
        for j in range(i + 1, len(ordered)):
            if j not in used and _follows(last, ordered[j]):
                run.append(ordered[j])
                used.add(j)
                last = ordered[j]
        if len(run) > 1:
            out.append(" ".join(x.text.strip() for x in run))
    return out
