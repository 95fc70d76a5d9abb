"""Step 1 from About-page facts: the RC serial voted over every reading, matched or not, and the
aircraft serial; one reading never accuses, an unreadable page is a question."""

from __future__ import annotations

from pipeline.detectors import rc_serial
from pipeline.models import Reason
from tests.support.screens import AIRCRAFT_SN, RC_SN, about, camera, context

OTHER_RC = "1581FB71CL0FKKSRDVPX"


def test_a_matching_rc_serial_is_found() -> None:
    det = rc_serial.detect(context([camera(1), about(5), about(5.5)]), {})
    assert det.step.found and det.step.start_s == 5 and det.step.end_s == 5.5
    assert det.step.detail == f"read {RC_SN}" and det.order_time == 5
    rc, aircraft = det.serials
    assert rc.matched is True and aircraft.matched is True and not det.findings and not det.uncertain
    assert rc.confidence == 0.91


def test_another_rc_serial_read_on_two_frames_is_a_mismatch() -> None:
    det = rc_serial.detect(context([about(5, rc=OTHER_RC), about(6.5, rc=OTHER_RC)]), {})
    assert [f.reason for f in det.findings] == [Reason.RC_SERIAL_MISMATCH]
    assert det.serials[0].matched is False
    assert "S→X at 20" in det.findings[0].message


def test_another_rc_serial_read_once_is_a_question() -> None:
    det = rc_serial.detect(context([about(5, rc=OTHER_RC)]), {})
    assert not det.findings
    assert det.uncertain and "not surely" in det.uncertain[0]


def test_one_look_alike_character_the_recording_cannot_resolve_matches() -> None:
    lookalike = RC_SN.replace("FB7", "F87")  # the record's only B, read as 8 every time
    det = rc_serial.detect(context([about(5, rc=lookalike), about(6.5, rc=lookalike)]), {})
    assert not det.findings and not det.uncertain and det.serials[0].matched is True


def test_many_look_alike_characters_are_a_question_not_a_rejection() -> None:
    shown = RC_SN.replace("B", "8").replace("0", "D").replace("S", "5")
    det = rc_serial.detect(context([about(5, rc=shown), about(6.5, rc=shown)]), {})
    assert not det.findings
    assert det.uncertain and "not surely" in det.uncertain[0]


def test_no_about_page_is_not_found_an_unreadable_one_is_a_question() -> None:
    none = rc_serial.detect(context([camera(1)]), {})
    assert not none.step.found and none.step.detail == "no About page"
    assert [f.reason for f in none.findings] == [Reason.RC_SERIAL_NOT_FOUND]
    unreadable = rc_serial.detect(context([about(5, rc=None, labels=frozenset({"rc"}))]), {})
    assert unreadable.step.detail == "About page seen, RC serial unreadable"
    assert not unreadable.findings
    assert unreadable.uncertain == ["the About page was seen, but its RC serial could not be read"]


def test_another_aircraft_serial_is_a_mismatch() -> None:
    shown = AIRCRAFT_SN[:-4] + "XYWX"
    det = rc_serial.detect(context([about(5, aircraft=shown), about(7, aircraft=shown)]), {})
    assert det.step.found
    assert [f.reason for f in det.findings] == [Reason.AIRCRAFT_SERIAL_MISMATCH]
