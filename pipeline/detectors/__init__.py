"""Step detectors: one module per required step, each with the same shape.

Each module exposes ``STEP`` (its ``StepName``) and ``detect(ctx, earlier) -> Detection``,
``earlier`` holding the detections of the steps before it by step (``base.Detector``). The
order of ``ALL`` is the order a valid recording shows the steps in.
"""

from pipeline.detectors import (
    camera_view,
    flight_status,
    gimbal_calibration,
    gimbal_movement,
    rc_serial,
)
from pipeline.detectors.base import Context, Detection, Detector

ALL: tuple[Detector, ...] = (rc_serial, gimbal_calibration, gimbal_movement, flight_status, camera_view)

__all__ = ["ALL", "Context", "Detection", "Detector"]
