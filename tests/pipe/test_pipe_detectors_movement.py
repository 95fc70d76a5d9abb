"""Step 2b from picture shifts and pitch readouts, after the calibration."""

from __future__ import annotations

from pipeline.detectors import gimbal_calibration, gimbal_movement
from pipeline.models import Reason, StepName
from tests.support.screens import THUMB_HEIGHT, calibration, camera, context

# The picture slides 10 thumbnail rows one way and back (11% of its height each way).
TILT = {11.0: 2.0, 11.25: 2.0, 11.5: 2.0, 11.75: 2.0, 12.0: 2.0}
TILT |= {12.25: -2.0, 12.5: -2.0, 12.75: -2.0, 13.0: -2.0, 13.25: -2.0}


def test_the_picture_tilting_up_and_down_is_movement() -> None:
    det = gimbal_movement.detect(context([camera(10), camera(14)], end_s=16, shifts=TILT), {})
    assert det.step.found and det.step.confidence == 0.8
    assert det.step.start_s == 11.0 and det.step.end_s == 16 and det.order_time == 11.0
    assert det.step.detail == f"picture moved {10 / THUMB_HEIGHT:.0%} up and {10 / THUMB_HEIGHT:.0%} down"


def test_picture_and_pitch_agreeing_is_high_confidence_and_pitch_alone_is_low() -> None:
    both = gimbal_movement.detect(context([camera(10, pitch=-5), camera(14, pitch=-40)], shifts=TILT), {})
    assert both.step.confidence == 0.95 and "pitch readout -40° to -5°" in both.step.detail
    pitch_only = gimbal_movement.detect(context([camera(10, pitch=-5), camera(14, pitch=-40)]), {})
    assert pitch_only.step.found and pitch_only.step.confidence == 0.45


def test_a_one_way_slide_is_not_a_tilt() -> None:
    one_way = {t: 2.0 for t in TILT}
    det = gimbal_movement.detect(context([camera(10), camera(14)], shifts=one_way), {})
    assert not det.step.found
    assert [f.reason for f in det.findings] == [Reason.GIMBAL_MOVEMENT_NOT_FOUND]


def test_no_movement_after_the_calibration_is_said_so() -> None:
    obs = [calibration(3, percent=50), calibration(5, done=True), camera(10)]
    ctx = context(obs)
    earlier = {StepName.GIMBAL_CALIBRATION: gimbal_calibration.detect(ctx, {})}
    det = gimbal_movement.detect(ctx, earlier)
    assert not det.step.found and det.step.detail.endswith("after the calibration")
    assert det.step.evidence[0].time_s == 10


def test_a_picture_that_kept_changing_unmeasured_is_a_doubt_not_a_reason() -> None:
    """A still banner across a small letterboxed view pinned the shift at zero while the
    picture under it moved: "no movement" is not sure then. A still picture stays a reason."""
    from dataclasses import replace

    ctx = context([camera(10), camera(14)], end_s=16)
    moving = [replace(s, change=35.0) if 11 <= s.time_s <= 13 else s for s in ctx.timeline.samples]
    ctx.timeline.samples[:] = moving
    det = gimbal_movement.detect(ctx, {})
    assert not det.step.found and not det.findings
    assert det.uncertain and "tilt not measured" in det.uncertain[0]
    still = gimbal_movement.detect(context([camera(10), camera(14)], end_s=16), {})
    assert [f.reason for f in still.findings] == [Reason.GIMBAL_MOVEMENT_NOT_FOUND]
