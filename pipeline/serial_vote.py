"""One serial from many reads: a character-by-character vote across frames.

A serial is printed once on the About page but read many times: on several frames, each a few
ways (scales, binarisation). Any single read may drop a character or confuse 9 and 0, 6 and E;
those are the reads that used to become false "mismatch" rejections. So no single read decides.
The reads of one frame first agree among themselves (one vote per frame and position, since the
re-reads of one frame share its compression noise), then the frames vote per position. A
character that differs from the product record is a proven difference only when at least two
frames read it the same way with high confidence, no read at all gave the record's character
there (with confidence or not), and the two are not look-alikes (B/8, S/5, Q/0, ...: fonts and the
reader's own context make those confusions systematic, so agreeing frames prove nothing, not
even where the same character elsewhere in the serial reads right: "VS5E" reads "VSSE" every
time while the "5" of "1581" reads true). A serial read as the record everywhere but at one or
two such confusable positions matches; anything else unsure is a doubt for a reviewer, never
a rejection and never an approval.

Reads are aligned by position among reads of the length most frames saw: both serial formats
carry their length (CTA-2063-A in its length character, the older ones are always 14), so a
read with a dropped or added character is invalid in its format and is left out of the vote.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from enum import StrEnum

from pipeline import serials

HIGH_CONFIDENCE = 70.0  # a read (or symbol) at or above this counts as a confident reading
MIN_FRAMES_TO_ACCUSE = 2
DOMINANCE = 3  # a proven difference: read this many times as often as the record's character
# Positions allowed to be within OCR confusion of the record (a look-alike pair, or read both
# ways) in a serial whose every other position was read as the record says: a serial of
# another product differs in many places, and a near-twin differs consistently (proof).
MAX_SOFT = 2


class Outcome(StrEnum):
    MATCH = "match"  # every position read as the record says
    MISMATCH = "mismatch"  # a difference read the same on independent frames
    UNSURE = "unsure"  # read, but not well enough to say either
    UNREAD = "unread"  # no read in a valid serial format


@dataclass(frozen=True)
class Reading:
    """One OCR read of a serial value. ``frame`` names the frame it came from: reads that share a
    frame are not independent. ``symbols`` are Tesseract's per-character confidences when the
    engine gave them (one per character of ``text``), else the line confidence stands in."""

    text: str
    frame: int
    confidence: float
    symbols: tuple[float, ...] | None = None

    def char_confidence(self, position: int) -> float:
        # Tesseract's line confidence folds in its word model, which a serial never fits: a
        # line of glyphs each read at 99 scores 60. The glyph's own confidence is the better one.
        if self.symbols is not None and len(self.symbols) == len(self.text):
            return self.symbols[position]
        return self.confidence


@dataclass(frozen=True)
class Decision:
    value: str | None
    outcome: Outcome
    differing: tuple[int, ...] = ()  # positions proven to differ from the record
    doubtful: tuple[int, ...] = ()  # positions read, but not surely
    frames: tuple[int, ...] = ()  # frames whose reads carry the decision
    proof_frames: tuple[int, ...] = ()  # frames that read the differing characters confidently
    votes: dict[int, dict[str, int]] = field(default_factory=dict)  # position -> char -> frames


def _frame_votes(reads: list[Reading], length: int) -> dict[int, list[tuple[str, float]]]:
    """Per frame, per position: the character its reads agree on, weighted by confidence."""
    by_frame: dict[int, list[Reading]] = defaultdict(list)
    for r in reads:
        by_frame[r.frame].append(r)
    out: dict[int, list[tuple[str, float]]] = {}
    for frame, frame_reads in by_frame.items():
        row: list[tuple[str, float]] = []
        for p in range(length):
            weights: dict[str, float] = defaultdict(float)
            best: dict[str, float] = defaultdict(float)
            for r in frame_reads:
                c = r.char_confidence(p)
                weights[r.text[p]] += max(c, 1.0)
                best[r.text[p]] = max(best[r.text[p]], c)
            char = max(weights, key=lambda k: (weights[k], k))
            row.append((char, best[char]))
        out[frame] = row
    return out


def _distance(a: str, b: str) -> int:
    return sum(x != y for x, y in zip(a, b, strict=True)) if len(a) == len(b) else max(len(a), len(b))


def _cluster(reads: list[Reading], expected: str | None) -> list[Reading]:
    """The reads of one serial: a position-by-position vote over two different serials (a
    label paired with the next row's value on some frames) would make a chimera of both. Reads
    are grouped by closeness; the group read on the most frames is the serial shown."""
    groups: list[list[Reading]] = []
    for r in sorted(reads, key=lambda r: -r.confidence):
        for g in groups:
            if _distance(g[0].text, r.text) <= max(3, len(r.text) // 4):
                g.append(r)
                break
        else:
            groups.append([r])

    def rank(g: list[Reading]) -> tuple[int, int]:
        near = -min(_distance(r.text, expected) for r in g) if expected else 0
        return len({r.frame for r in g}), near

    return max(groups, key=rank)


def fuse(reads: list[Reading], expected: str | None = None, exclude: tuple[str, ...] = ()) -> Decision:
    """The fused serial and, when the record is given, how it compares with the record.
    ``exclude``: serials known to belong to another row (the other role's record and reading):
    reads close to one of them are that row's value paired with this label, and are dropped."""
    others = [serials.normalise(x) for x in exclude if x]
    valid = [
        Reading(serials.normalise(r.text), r.frame, r.confidence, r.symbols)
        for r in reads
        if serials.is_valid(r.text) and not any(_distance(serials.normalise(r.text), o) <= 3 for o in others)
    ]
    if not valid:
        return Decision(None, Outcome.UNREAD)
    want = serials.normalise(expected) if expected else None
    frames_by_length: dict[int, set[int]] = defaultdict(set)
    for r in valid:
        frames_by_length[len(r.text)].add(r.frame)
    length = max(frames_by_length, key=lambda n: (len(frames_by_length[n]), n == len(want or "")))
    chosen = _cluster(
        [r for r in valid if len(r.text) == length], want if want and len(want) == length else None
    )
    per_frame = _frame_votes(chosen, length)
    value_chars: list[str] = []
    votes: dict[int, dict[str, int]] = {}
    confident: dict[int, dict[str, set[int]]] = {}
    # Any confident read of a character, whatever its frame's majority: the record's character
    # read confidently even once at a position means that position is contested.
    any_sure = [{r.text[p] for r in chosen if r.char_confidence(p) >= HIGH_CONFIDENCE} for p in range(length)]
    # And any read of it at all: a difference is proven only where the record's character was
    # never read. A 9 read "0" on two frames of an 800-px recording was read "9" on a third, at
    # low confidence; that is a font at its limit, not another serial (a doubt, not a rejection).
    any_read = [{r.text[p] for r in chosen} for p in range(length)]
    for p in range(length):
        weight: dict[str, float] = defaultdict(float)
        count: dict[str, int] = defaultdict(int)
        sure: dict[str, set[int]] = defaultdict(set)
        for frame, row in per_frame.items():
            char, conf = row[p]
            weight[char] += max(conf, 1.0)
            count[char] += 1
            if conf >= HIGH_CONFIDENCE:
                sure[char].add(frame)
        value_chars.append(max(weight, key=lambda k: (weight[k], k)))
        votes[p] = dict(count)
        confident[p] = dict(sure)
    value = "".join(value_chars)
    frames = tuple(sorted(per_frame))
    if want is None:
        return Decision(value, Outcome.UNSURE, frames=frames, votes=votes)
    if length != len(want):
        # A serial of another length: proven when two frames read a valid serial of that
        # length with confidence and no frame read one of the record's length.
        sure_frames = {r.frame for r in chosen if r.confidence >= HIGH_CONFIDENCE}
        other = frames_by_length.get(len(want), set())
        if len(sure_frames) >= MIN_FRAMES_TO_ACCUSE and not other:
            return Decision(
                value, Outcome.MISMATCH, tuple(range(length)), (), frames, tuple(sorted(sure_frames)), votes
            )
        return Decision(value, Outcome.UNSURE, (), tuple(range(length)), frames, (), votes)
    differing: list[int] = []
    doubtful: list[int] = []
    soft: list[int] = []  # positions where the reads are within OCR confusion of the record
    proof: set[int] = set()

    for p, (got, rec) in enumerate(zip(value, want, strict=True)):
        sure = confident[p]
        if got == rec:
            if not sure.get(rec) and votes[p].get(rec, 0) < 2:
                doubtful.append(p)  # one unsure read is no positive evidence
            continue
        for_got, for_rec = len(sure.get(got, ())), votes[p].get(rec, 0)
        agreed = for_got >= MIN_FRAMES_TO_ACCUSE and for_got >= DOMINANCE * for_rec and rec not in any_read[p]
        lookalike = frozenset((got, rec)) in serials.AMBIGUOUS_PAIRS
        if rec in any_sure[p]:
            soft.append(p)  # the record's character read with confidence too: noise either way
        elif agreed and not lookalike:
            differing.append(p)
            proof |= sure[got]
        elif lookalike:
            soft.append(p)  # a font's confusion this recording cannot resolve
        else:
            doubtful.append(p)
    if differing:
        outcome = Outcome.MISMATCH
    elif doubtful or len(soft) > MAX_SOFT:
        outcome = Outcome.UNSURE
        doubtful = sorted(doubtful + soft)
    else:
        outcome = Outcome.MATCH
    return Decision(value, outcome, tuple(differing), tuple(doubtful), frames, tuple(sorted(proof)), votes)
