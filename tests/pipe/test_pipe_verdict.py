"""The verdict rules from detections built by hand: order, reasons, doubts, confidence."""

from __future__ import annotations

from pipeline import verdict
from pipeline.detectors import Detection
from pipeline.models import Finding, Reason, StepName, StepResult, Verdict


def _det(name: StepName, at: float | None, found: bool = True, confidence: float = 0.9) -> Detection:
    step = StepResult(name=name, found=found, start_s=at, confidence=confidence)
    return Detection(step, order_time=at)


ORDER = list(StepName)


def test_steps_in_order_give_no_finding_and_a_small_overlap_is_tolerated() -> None:
    assert verdict.order_finding([_det(n, t) for n, t in zip(ORDER, [1, 5, 9, 12, 20], strict=True)]) is None
    assert (
        verdict.order_finding([_det(n, t) for n, t in zip(ORDER, [1, 5, 4.8, 12, 20], strict=True)]) is None
    )


def test_a_step_before_its_predecessor_is_out_of_order() -> None:
    dets = [_det(n, t) for n, t in zip(ORDER, [1, 9, 5, 12, 20], strict=True)]
    finding = verdict.order_finding(dets)
    assert finding is not None and finding.reason is Reason.STEPS_OUT_OF_ORDER
    assert finding.message == "gimbal_movement (5.0s) comes before gimbal_calibration (9.0s)"
    assert finding.time_s == 5


def test_a_step_also_seen_in_its_place_is_not_out_of_order() -> None:
    # The status list "seen" at 7 s on one transition frame, and opened at 14 s after the gimbal
    # moved: the recording holds the steps in order, so no order is broken.
    dets = [_det(n, t) for n, t in zip(ORDER, [1, 5, 9, 7, 20], strict=True)]
    dets[3].order_latest = 14
    assert verdict.order_finding(dets) is None
    dets[3].order_latest = 8  # every sighting before the movement: broken
    finding = verdict.order_finding(dets)
    assert finding is not None
    assert finding.message == "flight_status (8.0s) comes before gimbal_movement (9.0s)"


def test_order_is_not_judged_while_a_step_is_missing() -> None:
    dets = [
        _det(n, t, found=n is not StepName.CAMERA_VIEW) for n, t in zip(ORDER, [9, 5, 1, 12, 20], strict=True)
    ]
    assert verdict.order_finding(dets) is None


def test_findings_reject_with_each_reason_once_in_order() -> None:
    findings = [
        Finding(reason=Reason.GPS_WEAK, message="a"),
        Finding(reason=Reason.RC_SERIAL_MISMATCH, message="b"),
        Finding(reason=Reason.GPS_WEAK, message="c"),
    ]
    decided, reasons, doubts = verdict.decide(findings, ["why"], [_det(StepName.RC_SERIAL, 1)])
    assert decided is Verdict.REJECTED and reasons == [Reason.GPS_WEAK, Reason.RC_SERIAL_MISMATCH]
    assert doubts == ["why"]


def test_a_doubt_or_a_low_confidence_step_needs_review_and_nothing_approves() -> None:
    assert verdict.decide([], ["why"], [_det(StepName.RC_SERIAL, 1)])[0] is Verdict.NEEDS_REVIEW
    low = verdict.decide([], [], [_det(StepName.FLIGHT_STATUS, 1, confidence=0.45)])
    assert low[0] is Verdict.NEEDS_REVIEW and low[2] == ["flight_status seen with low confidence (0.45)"]
    assert verdict.decide([], [], [_det(StepName.RC_SERIAL, 1, confidence=0.5)]) == (Verdict.APPROVED, [], [])


def test_a_step_not_seen_without_a_sure_reason_is_a_doubt() -> None:
    missing = _det(StepName.GIMBAL_MOVEMENT, None, found=False)
    decided, reasons, doubts = verdict.decide([], [], [missing])
    assert decided is Verdict.NEEDS_REVIEW and reasons == [] and doubts == ["gimbal_movement not seen"]
    assert verdict.seen(missing) is verdict.Seen.COULD_NOT_TELL
    assert verdict.seen(_det(StepName.RC_SERIAL, 1)) is verdict.Seen.SEEN
