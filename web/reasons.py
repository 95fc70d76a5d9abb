"""Reason codes in words, from the one data file the owners' e-mails use too
(``workers/data/rejection_texts.json``): a short label for reviewers, a sentence for owners.

Reading the workers' file (not a copy) keeps the pages and the e-mails saying the same thing.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import workers
from pipeline.models import Reason, StepName

TEXTS_FILE = Path(workers.__file__).parent / "data" / "rejection_texts.json"

# Which step of the recording a reason is about: where its frame is found.
REASON_STEP = {
    Reason.RC_SERIAL_NOT_FOUND.value: StepName.RC_SERIAL.value,
    Reason.RC_SERIAL_MISMATCH.value: StepName.RC_SERIAL.value,
    Reason.AIRCRAFT_SERIAL_MISMATCH.value: StepName.RC_SERIAL.value,
    Reason.GIMBAL_CALIBRATION_NOT_FOUND.value: StepName.GIMBAL_CALIBRATION.value,
    Reason.GIMBAL_MOVEMENT_NOT_FOUND.value: StepName.GIMBAL_MOVEMENT.value,
    Reason.FLIGHT_STATUS_ERROR.value: StepName.FLIGHT_STATUS.value,
    Reason.FLIGHT_STATUS_NOT_FOUND.value: StepName.FLIGHT_STATUS.value,
    Reason.CAMERA_VIEW_TOO_SHORT.value: StepName.CAMERA_VIEW.value,
    Reason.GPS_WEAK.value: StepName.CAMERA_VIEW.value,
}


@functools.cache
def texts() -> dict[str, Any]:
    return json.loads(TEXTS_FILE.read_text(encoding="utf-8"))


def label(code: str | None) -> str:
    """The reviewer's short label of a reason code (the code itself when unknown)."""
    if not code:
        return ""
    return texts().get("labels", {}).get(code, code.replace("_", " "))


def sentence(code: str) -> str:
    """The owner's sentence for a reason code, as the e-mail says it."""
    return texts()["reasons"].get(code, label(code))


def choices() -> list[tuple[str, str]]:
    """(code, label) of every reason a reviewer may pick, in the pipeline's order."""
    return [(r.value, label(r.value)) for r in Reason]
