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
    r = _levels((0, 67), (5, 67), (20, 84), (25, 84))
    (b,) = breaks(r, RULE)
    assert (b.before.value, b.after.value) == (67, 84)
    assert "67%" in b.message and "84%" in b.message


def test_one_misread_digit_is_noise() -> None:
    r = _levels((0, 67), (5, 67), (10, 87), (15, 67), (20, 67))
    assert breaks(r, RULE) == []
    assert [x.value for x in runs(r)] == [67]


def test_a_lone_reading_after_the_last_run_is_not_trusted() -> None:
    r = _levels((0, 67), (5, 67), (10, 90))
    assert breaks(r, RULE) == []


def test_a_fall_or_a_one_digit_rise_is_never_proof() -> None:
    """93 read as 3, 81 read as 91: the looks cache repeats a misread, so runs agree on it."""
    assert breaks(_levels((0, 93), (2, 93), (4, 3), (6, 3)), RULE) == []
    assert breaks(_levels((0, 81), (2, 81), (4, 91), (6, 91)), RULE) == []
    assert breaks(_levels((0, 80), (2, 80), (4, 60), (6, 60)), RULE) == []


def test_spans_follow_trusted_readings() -> None:
    r = _levels((0, 67), (5, 67), (40, 66), (45, 66))
    assert spans(r, max_gap_s=60) == [(0, 45)]
    assert spans(r, max_gap_s=10) == [(0, 5), (40, 45)]


def test_one_frame_read_alike_two_ways_is_a_trusted_level() -> None:
    """The first camera view lasts a second: one frame, but its two bar reads agree on 71."""
    r = [Reading(0.5, 71, 0, weight=2), Reading(18, 86, 5), Reading(20, 86, 6)]
    assert [(b.before.value, b.after.value) for b in breaks(r, RULE)] == [(71, 86)]


def test_a_single_low_reading_before_a_higher_run_is_a_question() -> None:
    from pipeline.continuity.counters import lone_rises

    r = _levels((0, 71), (18, 86), (20, 86), (22, 86))
    assert breaks(r, RULE) == []
    ((lone, run),) = lone_rises(r, RULE)
    assert (lone.value, run.value) == (71, 86)
    assert lone_rises(_levels((0, 81), (18, 91), (20, 91)), RULE) == []  # one digit apart


def test_a_dip_and_a_return_to_the_level_before_is_a_doubt_not_proof() -> None:
    """A grey "64%" read "1%" on every read of one unchanged camera view (the looks cache
    repeats a misread look), 64 % before and after: the rise from 1 back to 64 is no cut."""
    from pipeline.continuity.counters import dips

    r = _levels((0, 64), (18, 64), (22.8, 1), (23.3, 1), (26, 64), (28, 64))
    assert breaks(r, RULE) == []
    (dip,) = dips(r, RULE)
    assert (dip.before.value, dip.after.value) == (1, 64)
    # A rise to a level never read before stays proof.
    rise = _levels((0, 60), (2, 60), (4, 85), (6, 85))
    assert [(b.before.value, b.after.value) for b in breaks(rise, RULE)] == [(60, 85)]
    assert dips(rise, RULE) == []
