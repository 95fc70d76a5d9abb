"""Pydantic models at the pipeline's boundary: the claim that goes in, the report that comes out.

The string values of ``Verdict`` and ``Reason``, and the report's ``app`` (a template's
``app``, or ``unknown``), are a contract shared with the workers, the web pages and the reports
(see DESIGN.md): never rename them. Apps are known from ``ocr_templates/*.json``, not listed here.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

UNKNOWN_APP = "unknown"  # no template's words were read


class Verdict(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"
    NEEDS_REVIEW = "needs_review"


class Reason(StrEnum):
    RC_SERIAL_NOT_FOUND = "rc_serial_not_found"
    RC_SERIAL_MISMATCH = "rc_serial_mismatch"
    AIRCRAFT_SERIAL_MISMATCH = "aircraft_serial_mismatch"
    GIMBAL_CALIBRATION_NOT_FOUND = "gimbal_calibration_not_found"
    GIMBAL_MOVEMENT_NOT_FOUND = "gimbal_movement_not_found"
    FLIGHT_STATUS_ERROR = "flight_status_error"
    FLIGHT_STATUS_NOT_FOUND = "flight_status_not_found"
    CAMERA_VIEW_TOO_SHORT = "camera_view_too_short"
    GPS_WEAK = "gps_weak"
    STEPS_OUT_OF_ORDER = "steps_out_of_order"
    VIDEO_EDITED = "video_edited"
    VIDEO_UNREADABLE = "video_unreadable"


class StepName(StrEnum):
    """The required steps, in the order a valid recording shows them."""

    RC_SERIAL = "rc_serial"
    GIMBAL_CALIBRATION = "gimbal_calibration"
    GIMBAL_MOVEMENT = "gimbal_movement"
    FLIGHT_STATUS = "flight_status"
    CAMERA_VIEW = "camera_view"


class Claim(BaseModel):
    """The product record a submission claims; serials as the owner or the record gives them."""

    rc_sn: str = Field(min_length=1)
    aircraft_sn: str | None = None
    model: str | None = None


class OcrBox(BaseModel):
    text: str
    confidence: float  # 0..100, as Tesseract reports it
    x: int
    y: int
    w: int
    h: int


class Evidence(BaseModel):
    time_s: float
    image: str | None = None  # path of the JPEG written to the evidence dir, when one was asked
    note: str = ""
    boxes: list[OcrBox] = Field(default_factory=list)
    # Which OCR'd frame this came from, until the evidence writer turns it into an image path.
    frame_ref: int | None = Field(default=None, exclude=True)


class StepResult(BaseModel):
    name: StepName
    found: bool
    start_s: float | None = None
    end_s: float | None = None
    confidence: float = 0.0  # 0..1
    detail: str = ""
    evidence: list[Evidence] = Field(default_factory=list)


class VideoInfo(BaseModel):
    duration_s: float = 0.0
    fps: float = 0.0
    width: int = 0
    height: int = 0
    frames: int = 0
    sha256: str = ""
    codec: str = ""


class SerialCheck(BaseModel):
    role: str  # "rc" or "aircraft"
    read: str | None = None
    raw: str | None = None  # the OCR text before normalisation
    expected: str | None = None
    matched: bool | None = None  # None when nothing was read or nothing was expected
    confidence: float = 0.0


class Finding(BaseModel):
    """One reason with the evidence behind it, so a reviewer can see why."""

    reason: Reason
    message: str
    time_s: float | None = None
    evidence: list[Evidence] = Field(default_factory=list)


class Report(BaseModel):
    verdict: Verdict
    reasons: list[Reason] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    uncertain: list[str] = Field(default_factory=list)  # why an otherwise clean run needs review
    app: str = UNKNOWN_APP  # the best-fitting template's ``app`` (e.g. "dji_fly")
    language: str = ""  # the UI language its screens were recognised in ("en", "fr"); "" if none
    source: str = ""
    video: VideoInfo = Field(default_factory=VideoInfo)
    steps: list[StepResult] = Field(default_factory=list)
    serials: list[SerialCheck] = Field(default_factory=list)
    # Frames behind doubts that belong to no step (pages whose words no template knows).
    doubt_evidence: list[Evidence] = Field(default_factory=list)
    # The continuity signals followed, each with the spans it covered ("phone clock: 0.0-31.5s").
    continuity: list[str] = Field(default_factory=list)
    timings: dict[str, float] = Field(default_factory=dict)  # stage -> milliseconds
    pipeline_version: str = "1"
