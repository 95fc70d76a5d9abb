"""The device-name continuity check: two drones only when two names were each read twice and
differ by more than a misread; look-alike reads of one name stay one name."""

from __future__ import annotations

from pipeline.continuity.names import NameRead, canonical, check, distance
from pipeline.models import Reason


def _reads(*texts: str) -> list[NameRead]:
    return [NameRead(i, 2.0 * i, t) for i, t in enumerate(texts)]


def test_look_alike_reads_of_one_name_are_one_name() -> None:
    assert canonical("DJI Air 3") == canonical("DJIAir 3") == canonical("DJL Air 3")
    assert canonical("DJI Air 2S") == canonical("DJIAir 25")
    result = check(_reads("DJI Air 3", "DJIAir 3", "DJL Air 3", "DJI Air 3"))
    assert result.finding is None and result.doubt is None
    assert result.spans == ((0.0, 6.0),)


def test_two_names_each_read_twice_are_two_drones() -> None:
    """The edit fixture's reads: Air 3 before the cut, Air 2S (read "25") after it. Their raw
    strings are alike enough (difflib 0.84) that a plain similarity would call them one name."""
    result = check(_reads("DJI Air 3", "DJI Air 3", "DJIAir 25", "DJIAir 25"))
    assert result.finding is not None and result.finding.reason is Reason.VIDEO_EDITED
    assert [e.frame_ref for e in result.finding.evidence] == [0, 2]
    assert result.doubt is None


def test_one_odd_read_is_never_an_edit() -> None:
    result = check(_reads("DJI Air 3", "DJI Air 3", "Mavic 3 Pro"))
    assert result.finding is None
    assert result.doubt is not None and "Mavic 3 Pro" in result.doubt


def test_a_lone_misread_near_the_sure_name_is_noise() -> None:
    result = check(_reads("DJI Air 3", "DJI Air 3", "DJI Alr 3 ."))
    assert result.finding is None and result.doubt is None


def test_two_sure_names_a_character_apart_are_a_doubt_not_an_edit() -> None:
    result = check(_reads("DJI Air 3", "DJI Air 3", "DJI Air 4", "DJI Air 4"))
    assert result.finding is None and result.doubt is not None


def test_no_name_read_twice_follows_nothing() -> None:
    result = check(_reads("DJI Air 3", "Mavic 3"))
    assert result.finding is None and result.doubt is None and not result.spans


def test_distance_counts_edits() -> None:
    assert distance("DJIAIR3", "DJIAIR3") == 0
    assert distance("DJIAIR3", "DJIAIRZS") == 2
    assert distance("", "ABC") == 3
