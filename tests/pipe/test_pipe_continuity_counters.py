"""Battery levels as a continuity signal: a jump between agreeing runs is a cut, a lone odd
reading and a slow drain are not."""

from __future__ import annotations

from pipeline.continuity.counters import Reading, Rule, breaks, runs, spans

RULE = Rule("aircraft battery")


def _levels(*pairs: tuple[float, int]) -> list[Reading]:
    return [Reading(t, v, i) for i, (t, v) in enumerate(pairs)]


def test_slow_drain_is_honest() -> None:
    r = _levels((0, 67), (5, 67), (40, 66), (45, 66), (70, 66), (90, 65), (95, 65))
    assert breaks(r, RULE) == []


def test_rise_of_fifteen_points_is_a_break() -> None:
    r = _levels((0, 67), (5, 67), (20, 82), (25, 82))
    (b,) = breaks(r, RULE)
    assert (b.before.value, b.after.value) == (67, 82)
    assert "67%" in b.message and "82%" in b.message


def test_one_misread_digit_is_noise() -> None:
    r = _levels((0, 67), (5, 67), (10, 87), (15, 67), (20, 67))
    assert breaks(r, RULE) == []
    assert [x.value for x in runs(r)] == [67]


def test_a_lone_reading_after_the_last_run_is_not_trusted() -> None:
    r = _levels((0, 67), (5, 67), (10, 90))
    assert breaks(r, RULE) == []


def test_fall_faster_than_any_drain_is_a_break() -> None:
    r = _levels((0, 80), (2, 80), (4, 60), (6, 60))
    assert len(breaks(r, RULE)) == 1


def test_spans_follow_trusted_readings() -> None:
    r = _levels((0, 67), (5, 67), (40, 66), (45, 66))
    assert spans(r, max_gap_s=60) == [(0, 45)]
    assert spans(r, max_gap_s=10) == [(0, 5), (40, 45)]
