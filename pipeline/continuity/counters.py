"""Levels that an unedited take only moves one way, slowly: battery percentages above all.

The aircraft's, the controller's and the phone's batteries drain by a point every minute or
two while a recording runs; none rises without a charger (the aircraft's never: it is flying
on it, or idling on the ground). A step pasted in from another take
carries the levels of that take: 67 % then 82 % a second later is a cut. OCR misreads a digit
now and then (67 read as 87 or 6), so a level counts only as a run of at least two readings
that agree, and a break is claimed between two such runs only: one odd reading is noise.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_RUN = 2  # readings (by weight) that must agree before a level is trusted


@dataclass(frozen=True)
class Rule:
    """How fast a level may move in an honest take."""

    name: str
    max_rise: int = 2  # points: a rounding flip, or a charger just connected


@dataclass(frozen=True)
class Reading:
    time_s: float
    value: int
    frame: int | None = None  # observation index, for evidence
    weight: int = 1  # independent reads of this frame that gave the value (two reading methods)


@dataclass(frozen=True)
class Run:
    value: int
    first: Reading
    last: Reading
    count: int


@dataclass(frozen=True)
class Break:
    rule: str
    before: Run
    after: Run

    @property
    def message(self) -> str:
        a, b = self.before, self.after
        return (
            f"the {self.rule} went from {a.value}% at {a.last.time_s:.1f}s to {b.value}% at "
            f"{b.first.time_s:.1f}s"
        )


def runs(readings: list[Reading]) -> list[Run]:
    """Consecutive equal readings, the trusted ones only (at least ``MIN_RUN`` of them). A
    single different reading inside a run does not end it: it is skipped as a misread."""
    out: list[Run] = []
    ordered = sorted(readings, key=lambda r: r.time_s)
    i = 0
    while i < len(ordered):
        j = i
        members = [ordered[i]]
        while j + 1 < len(ordered):
            nxt = ordered[j + 1]
            if nxt.value == members[0].value:
                members.append(nxt)
                j += 1
            elif j + 2 < len(ordered) and ordered[j + 2].value == members[0].value:
                j += 1  # a lone odd reading between two agreeing ones
            else:
                break
        if sum(m.weight for m in members) >= MIN_RUN:
            out.append(Run(members[0].value, members[0], members[-1], len(members)))
        i = j + 1
    return out


def one_digit_apart(a: int, b: int) -> bool:
    """Values a single misread digit turns into each other (81 and 91, 93 and 3)."""
    x, y = str(a), str(b)
    if len(x) != len(y):
        return x in y or y in x  # a digit dropped or added
    return sum(p != q for p, q in zip(x, y, strict=True)) <= 1


def breaks(readings: list[Reading], rule: Rule) -> list[Break]:
    """Rises between trusted runs that no honest take makes: a battery never charges while the
    app runs on it. A fall is never proof (a dropped digit reads 93 as 3, a 9 as 8, and the
    looks cache repeats a misread look), and neither is a rise that one misread digit explains."""
    trusted = runs(readings)
    return [br for br in _rises(trusted, rule) if not _returns(br, trusted, rule)]


def dips(readings: list[Reading], rule: Rule) -> list[Break]:
    """Rises back to a level already read before the run they leave: A, then a lower X,
    then A again. Not proof but a doubt: a misread look repeated by the looks cache gives
    exactly this on an unchanged bar (a grey "64%" read "1%" on every read of one camera
    view, between 64 % before and after), and so would a segment pasted from a later take."""
    trusted = runs(readings)
    return [br for br in _rises(trusted, rule) if _returns(br, trusted, rule)]


def _rises(trusted: list[Run], rule: Rule) -> list[Break]:
    found: list[Break] = []
    for a, b in zip(trusted, trusted[1:], strict=False):
        rise = b.value - a.value
        if rise > rule.max_rise and not one_digit_apart(a.value, b.value):
            found.append(Break(rule.name, a, b))
    return found


def _returns(br: Break, trusted: list[Run], rule: Rule) -> bool:
    """Whether the level risen to was read, as a trusted run, before the run risen from."""
    earlier = [r for r in trusted if r.last.time_s < br.before.first.time_s]
    return any(abs(r.value - br.after.value) <= rule.max_rise for r in earlier)


def lone_rises(readings: list[Reading], rule: Rule) -> list[tuple[Reading, Run]]:
    """A single reading before a trusted run that is higher by more than a misread digit
    explains: not proof (one reading), but a question for a reviewer."""
    found: list[tuple[Reading, Run]] = []
    ordered = sorted(readings, key=lambda r: r.time_s)
    for run in runs(ordered):
        before = [r for r in ordered if r.time_s < run.first.time_s]
        if not before:
            continue
        last = before[-1]
        rose = run.value - last.value > rule.max_rise and not one_digit_apart(last.value, run.value)
        if rose and not any(r.value == last.value for r in before[:-1]):
            found.append((last, run))
    return found


def spans(readings: list[Reading], max_gap_s: float) -> list[tuple[float, float]]:
    """Stretches followed by this level: from one trusted reading to the next, while readings
    come at least every ``max_gap_s``."""
    out: list[tuple[float, float]] = []
    for run in runs(readings):
        start, end = run.first.time_s, run.last.time_s
        if out and start - out[-1][1] <= max_gap_s:
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out
