"""Step 3 from status-list and status-pill facts: opened, read to the end, clean or not."""

from __future__ import annotations

from pipeline.detectors import flight_status
from pipeline.models import Reason
from tests.support.screens import camera, context, status


def test_a_list_read_to_its_end_is_a_confident_check() -> None:
    det = flight_status.detect(context([status(5), status(5.5, end_seen=True)]), {})
    assert det.step.found and det.step.confidence == 0.9 and det.order_time == 5
    assert det.step.detail == "status list read to the end" and not det.uncertain and not det.findings


def test_a_list_that_must_reach_its_end_and_did_not_is_a_question() -> None:
    go4 = flight_status.detect(context([status(5), status(5.5)], app="dji_go4"), {})
    assert go4.step.confidence == 0.5
    assert go4.uncertain == ["the Aircraft Status list was not seen scrolled to its last row"]
    fly = flight_status.detect(context([status(5), status(5.5)], app="dji_fly"), {})
    assert fly.step.confidence == 0.9 and fly.step.detail == "status panel read" and not fly.uncertain


def test_an_error_word_in_the_list_or_the_pill_is_a_failed_check() -> None:
    in_list = flight_status.detect(context([status(5, errors=["IMU Error"]), status(5.5)]), {})
    assert [f.reason for f in in_list.findings] == [Reason.FLIGHT_STATUS_ERROR]
    assert in_list.findings[0].message == "warning or error shown: IMU Error"
    in_pill = flight_status.detect(context([camera(10, errors=["Compass Error"])]), {})
    assert [f.reason for f in in_pill.findings] == [
        Reason.FLIGHT_STATUS_NOT_FOUND,
        Reason.FLIGHT_STATUS_ERROR,
    ]


def test_a_lone_frame_that_looks_like_the_list_does_not_count() -> None:
    det = flight_status.detect(context([status(2), camera(3), status(7), status(7.5)]), {})
    assert det.step.start_s == 7


def test_a_warning_colour_two_reads_agree_on_is_a_question() -> None:
    obs = [status(5.0, warm_rows=["Compass"]), status(5.5, warm_rows=["Compass"], end_seen=True)]
    twice = flight_status.detect(context(obs), {})
    assert twice.uncertain == ["warning colour in the flight status at 5.0s, words unreadable"]
    assert (
        twice.step.evidence[-1].note == "warning colour"
        and twice.step.evidence[-1].boxes[0].text == "Compass"
    )
    once = flight_status.detect(context([status(5, warm_rows=["Compass"]), status(5.5, end_seen=True)]), {})
    assert not once.uncertain


def test_never_opened_is_not_found() -> None:
    det = flight_status.detect(context([camera(10)]), {})
    assert not det.step.found and [f.reason for f in det.findings] == [Reason.FLIGHT_STATUS_NOT_FOUND]


def test_a_list_seen_twice_apart_can_be_placed_at_either() -> None:
    # One look at 5 s (a transition frame?) and one at 20 s, a panel read once: the order check
    # may place the step at the later one.
    det = flight_status.detect(context([status(5), camera(10), status(20)]), {})
    assert det.order_time == 5 and det.order_latest == 20
