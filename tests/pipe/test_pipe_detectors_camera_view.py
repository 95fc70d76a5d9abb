"""Step 4 from top-bar facts: the camera view after the status check, held long enough, with a
satellite count read strong; anything unread is a question, never an approval."""

from __future__ import annotations

from dataclasses import replace

from pipeline.detectors import camera_view
from pipeline.detectors.base import Detection
from pipeline.detectors.camera_view import Gps, gps_state
from pipeline.models import Reason, StepName, StepResult
from pipeline.reading import ScreenKind
from pipeline.reading.facts import CameraFacts
from tests.support.screens import camera, context, screen, status, template


def _status_found(start: float, end: float) -> dict[StepName, Detection]:
    step = StepResult(name=StepName.FLIGHT_STATUS, found=True, start_s=start, end_s=end)
    return {StepName.FLIGHT_STATUS: Detection(step)}


def test_a_long_hold_with_satellites_is_found() -> None:
    det = camera_view.detect(context([status(5), camera(10), camera(12), camera(14)], end_s=15), {})
    assert det.step.found and det.step.start_s == 10 and det.step.end_s == 15
    assert det.step.confidence == 0.9 and det.step.detail == "camera view 5.0s, 14-14 satellites"
    assert not det.uncertain


def test_a_short_hold_is_too_short() -> None:
    det = camera_view.detect(context([status(5), camera(10)], end_s=11.5), {})
    assert [f.reason for f in det.findings] == [Reason.CAMERA_VIEW_TOO_SHORT]
    assert det.step.detail == "camera view held 1.5s, less than 3s"
    none = camera_view.detect(context([status(5)]), {})
    assert none.step.detail == "no camera view"


def test_the_camera_view_before_the_status_check_does_not_count() -> None:
    """A long movement view, then the status list, then only 2 s of camera view."""
    obs = [camera(2), camera(4), camera(6), camera(8), status(10), camera(12)]
    det = camera_view.detect(context(obs, end_s=14), _status_found(10, 10))
    assert [f.reason for f in det.findings] == [Reason.CAMERA_VIEW_TOO_SHORT]
    assert det.step.detail == "camera view held 2.0s after the flight status check, less than 3s"


def test_a_weak_word_or_a_warm_low_count_read_twice_is_weak_gps() -> None:
    words = [camera(t, satellites=None, weak=["Weak GPS"]) for t in (10, 12)]
    word = camera_view.detect(context(words), {})
    assert [f.reason for f in word.findings] == [Reason.GPS_WEAK]
    assert word.step.detail == "GPS weak in the camera view (Weak GPS)"
    low = [camera(t, satellites=5) for t in (10, 12)]
    warm = [replace(o, bar=replace(o.top, satellites_warm=True)) for o in low]
    few = camera_view.detect(context(warm), {})
    assert [f.reason for f in few.findings] == [Reason.GPS_WEAK]
    assert few.step.detail == "GPS weak in the camera view (5 satellites (drawn in a warning colour))"


def test_a_low_count_in_the_ordinary_colour_is_a_doubt_not_a_reason() -> None:
    """A 720p-class bar read "17" as "174 4" on every read of the unchanged view: the same
    pixels read twice are not two readings, and the app shows no weak GPS of its own."""
    obs = [camera(t, satellites=4) for t in (10, 12, 14)]
    det = camera_view.detect(context(obs, end_s=15), {})
    assert not det.findings and det.step.confidence < 0.5
    assert "weak GPS read 3 times in the camera view at 10.0s, 12.0s, 14.0s" in det.uncertain


def test_a_banner_across_the_picture_is_weak_gps() -> None:
    banner = CameraFacts(gps_weak_words=("Weak GPS Signal",))
    obs = [replace(camera(t), facts=banner) for t in (10, 12, 14)]
    det = camera_view.detect(context(obs, end_s=15), {})
    assert [f.reason for f in det.findings] == [Reason.GPS_WEAK]


def test_a_count_drawn_red_is_weak_gps() -> None:
    obs = [camera(t, satellites=14) for t in (10, 12, 14)]
    red = [replace(o, bar=replace(o.top, satellites_warm=True)) for o in obs]
    det = camera_view.detect(context(red, end_s=15), {})
    assert [f.reason for f in det.findings] == [Reason.GPS_WEAK]


def test_one_low_count_among_strong_ones_is_noise() -> None:
    obs = [camera(10), camera(12, satellites=4), camera(14)]
    det = camera_view.detect(context(obs, end_s=15), {})
    assert det.step.found and not det.findings and not det.uncertain


def test_a_weak_notice_read_once_is_a_doubt_not_a_reason() -> None:
    obs = [camera(10), camera(12, weak=["Weak GPS"]), camera(14)]
    det = camera_view.detect(context(obs, end_s=15), {})
    assert det.step.found and not det.findings
    assert det.uncertain == ["weak GPS read once in the camera view at 12.0s"]


def test_an_unreadable_count_is_a_question_never_an_approval() -> None:
    fix = [camera(t, satellites=None, text="Ready to Go (GPS)") for t in (10, 12, 14)]
    det = camera_view.detect(context(fix, end_s=15), {})
    assert det.step.found and det.step.confidence < 0.5 and not det.findings
    assert det.uncertain == ["GPS not shown strong in the camera view: satellite count read 0 time(s)"]


def test_the_gps_state_from_the_bar() -> None:
    words = template("dji_go4").camera
    assert gps_state(camera(1, satellites=8), words) is Gps.STRONG
    assert gps_state(camera(1, satellites=7), words) is Gps.WEAK
    assert gps_state(camera(1, satellites=None, text="Ready to Go (GPS)"), words) is Gps.UNKNOWN
    assert gps_state(camera(1, satellites=20, weak=["ATTI"]), words) is Gps.WEAK


def test_a_short_view_followed_by_unrecognised_screens_is_a_doubt_not_too_short() -> None:
    """The final camera view read as a camera view once (a transition frame), then not
    recognised for 5 s (its bar unread): it may have been held, so "too short" is not sure."""
    obs = [status(5), camera(10), screen(10.5, ScreenKind.UNKNOWN), screen(13, ScreenKind.UNKNOWN)]
    det = camera_view.detect(context(obs, end_s=15.5), _status_found(5, 5))
    assert not det.findings and not det.step.found
    assert det.uncertain == [
        "camera view read for 0.5s after the flight status check; screens after it were not recognised"
    ]
    # Without the unrecognised screens, the same short view is too short.
    short = camera_view.detect(context([status(5), camera(10)], end_s=10.5), _status_found(5, 5))
    assert [f.reason for f in short.findings] == [Reason.CAMERA_VIEW_TOO_SHORT]
