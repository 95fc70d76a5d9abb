"""Reason codes in words: a short label for reviewers (``workers/data/reason_labels.json``)
and a sentence for owners, from the English e-mail texts (``workers/data/emails/en.json``).

Reading the workers' files (not a copy) keeps the pages and the e-mails saying the same thing.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import workers
from pipeline.models import Reason, StepName
from workers import email_texts

LABELS_FILE = Path(workers.__file__).parent / "data" / "reason_labels.json"

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
def _labels() -> dict[str, str]:
    data: dict[str, Any] = json.loads(LABELS_FILE.read_text(encoding="utf-8"))
    return data["labels"]


def label(code: str | None) -> str:
    """The reviewer's short label of a reason code (the code itself when unknown)."""
    if not code:
        return ""
    return _labels().get(code, code.replace("_", " "))


def sentence(code: str) -> str:
    """The owner's sentence for a reason code, as the English e-mail says it."""
    return email_texts.texts(None)["reasons"].get(code, label(code))


def outro() -> str:
    """How to record again, as the English rejection e-mail ends."""
    return email_texts.texts(None)["rejected"]["outro"]


def choices() -> list[tuple[str, str]]:
    """(code, label) of every reason a reviewer may pick, in the pipeline's order."""
    return [(r.value, label(r.value)) for r in Reason]
