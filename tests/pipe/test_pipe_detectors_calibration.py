"""Step 2a from calibration-dialog facts: completed, stuck, failed, absent."""

from __future__ import annotations

from pipeline.detectors import gimbal_calibration
from pipeline.models import Reason
from pipeline.reading import Observation, ScreenKind
from tests.support.screens import calibration, camera, context


def test_progress_then_done_is_a_completed_calibration() -> None:
    obs = [calibration(3.0, percent=40), calibration(5.0, percent=80), calibration(7.0, done=True)]
    det = gimbal_calibration.detect(context(obs), {})
    assert det.step.found and det.step.start_s == 3 and det.step.end_s == 7 and det.order_time == 7
    assert det.step.confidence == 0.9 and det.step.detail == "progress 40% at 3.0s, 80% at 5.0s"
    assert not det.findings


def _not_found(obs: list) -> str:
    det = gimbal_calibration.detect(context(obs), {})
    assert not det.step.found
    assert [f.reason for f in det.findings] == [Reason.GIMBAL_CALIBRATION_NOT_FOUND]
    return det.step.detail


def test_a_dialog_left_at_sixty_percent_is_not_complete() -> None:
    assert _not_found([calibration(3, percent=40), calibration(5, percent=60)]) == (
        "calibration started but never seen complete"
    )


def test_a_failure_is_not_complete() -> None:
    assert _not_found([calibration(3, percent=40), calibration(5, failed=True)]) == "the calibration failed"


def test_a_lone_completion_message_is_a_misread_transition() -> None:
    assert _not_found([calibration(3, done=True)]) == "calibration started but never seen complete"
    det = gimbal_calibration.detect(context([calibration(3, done=True), calibration(3.5, done=True)]), {})
    assert det.step.found and det.step.detail == "completed"


def test_done_before_any_progress_does_not_count() -> None:
    obs = [calibration(2, done=True), calibration(3, percent=40), calibration(5, percent=70)]
    assert _not_found(obs) == "calibration started but never seen complete"


def test_no_calibration_at_all() -> None:
    assert _not_found([camera(1)]) == "no gimbal auto calibration"


def _page(t: float, *, continues: bool) -> Observation:
    return Observation(time_s=t, screen=ScreenKind.SETTINGS, continues=continues)


def test_a_dialog_read_as_its_page_with_no_screen_change_is_a_doubt() -> None:
    # The dialog at 60 %, then the same look read twice as the settings page under it: its
    # completion may have been there, unread. Not a rejection.
    obs = [calibration(3, percent=40), _page(8, continues=True), _page(9.5, continues=True), camera(10)]
    det = gimbal_calibration.detect(context(obs), {})
    assert not det.step.found and not det.findings
    assert det.uncertain and "9.5s" in det.uncertain[0] and det.step.end_s == 9.5


def test_a_dialog_closed_to_its_page_is_not_complete() -> None:
    # The page came back with a screen change: the dialog was closed before it was done.
    obs = [calibration(3, percent=40), calibration(5, percent=60), _page(6, continues=False)]
    assert _not_found(obs) == "calibration started but never seen complete"
