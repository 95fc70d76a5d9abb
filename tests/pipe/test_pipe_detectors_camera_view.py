"""Step 4 from top-bar facts: a camera view held long enough with strong GPS."""

from __future__ import annotations

from screens import camera, context, status, template

from pipeline.detectors import camera_view
from pipeline.detectors.camera_view import Gps, gps_state
from pipeline.models import Reason


def test_a_long_hold_with_satellites_is_found() -> None:
    det = camera_view.detect(context([status(5), camera(10), camera(12), camera(14)], end_s=15), {})
    assert det.step.found and det.step.start_s == 10 and det.step.end_s == 15
    assert det.step.confidence == 0.9 and det.step.detail == "camera view 5.0s, 14-14 satellites"
    assert not det.uncertain


def test_a_short_hold_is_too_short() -> None:
    det = camera_view.detect(context([status(5), camera(10)], end_s=11.5), {})
    assert [f.reason for f in det.findings] == [Reason.CAMERA_VIEW_TOO_SHORT]
    assert det.step.detail == "camera view with GPS held 1.5s, less than 3s"
    none = camera_view.detect(context([status(5)]), {})
    assert none.step.detail == "no camera view"


def test_few_satellites_or_a_weak_word_is_weak_gps() -> None:
    few = camera_view.detect(context([camera(10, satellites=5), camera(12, satellites=5)]), {})
    assert [f.reason for f in few.findings] == [Reason.GPS_WEAK]
    assert few.step.detail == "GPS weak in the camera view (5 satellites)"
    word = camera_view.detect(context([camera(10, satellites=None, weak=["Weak GPS"])]), {})
    assert word.step.detail == "GPS weak in the camera view (Weak GPS)"


def test_an_unreadable_count_is_found_with_less_confidence_and_a_question() -> None:
    obs = [camera(t, satellites=None, text="Ready to Go") for t in (10, 12, 14)]
    det = camera_view.detect(context(obs, end_s=15), {})
    assert det.step.found and det.step.confidence == 0.6
    assert det.uncertain == ["GPS satellite count unreadable in the camera view"]
    fix = [camera(t, satellites=None, text="Ready to Go (GPS)") for t in (10, 12, 14)]
    named = camera_view.detect(context(fix, end_s=15), {})  # the status names its GPS fix
    assert named.step.found and named.step.confidence == 0.9 and not named.uncertain


def test_the_gps_state_from_the_bar() -> None:
    words = template("dji_go4").camera
    assert gps_state(camera(1, satellites=8), words) is Gps.STRONG
    assert gps_state(camera(1, satellites=7), words) is Gps.WEAK
    assert gps_state(camera(1, satellites=None, text="Ready to Go (GPS)"), words) is Gps.STRONG
    assert gps_state(camera(1, satellites=None, text="Ready to Go"), words) is Gps.UNKNOWN
    assert gps_state(camera(1, satellites=None, text="Ready to Go (GPS)", ready=False), words) is Gps.UNKNOWN
    assert gps_state(camera(1, satellites=20, weak=["ATTI"]), words) is Gps.WEAK
