"""Levels that an unedited take only moves one way, slowly: battery percentages above all.

The aircraft's, the controller's and the phone's batteries drain by a point every minute or
two while a recording runs; none rises without a charger. A step pasted in from another take
carries the levels of that take: 67 % then 82 % a second later is a cut. OCR misreads a digit
now and then (67 read as 87 or 6), so a level counts only as a run of at least two readings
that agree, and a break is claimed between two such runs only: one odd reading is noise.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_RUN = 2  # readings that must agree before a level is trusted


@dataclass(frozen=True)
class Rule:
    """How fast a level may move in an honest take."""

    name: str
    max_rise: int = 2  # points: a rounding flip, or a charger just connected
    fall_per_min: float = 4.0  # points a minute, well above any idle drain
    fall_slack: int = 2  # points on top of the rate (one reading may round down)


@dataclass(frozen=True)
class Reading:
    time_s: float
    value: int
    frame: int | None = None  # observation index, for evidence


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
        if len(members) >= MIN_RUN:
            out.append(Run(members[0].value, members[0], members[-1], len(members)))
        i = j + 1
    return out


def breaks(readings: list[Reading], rule: Rule) -> list[Break]:
    """Steps between trusted runs that the level cannot take in an honest take."""
    found: list[Break] = []
    trusted = runs(readings)
    for a, b in zip(trusted, trusted[1:], strict=False):
        minutes = max(0.0, b.first.time_s - a.last.time_s) / 60
        rise = b.value - a.value
        if rise > rule.max_rise or -rise > rule.fall_per_min * minutes + rule.fall_slack:
            found.append(Break(rule.name, a, b))
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
