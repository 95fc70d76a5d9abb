"""What every detector receives and returns."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.models import Claim, Evidence, Finding, OcrBox, SerialCheck, StepResult
from pipeline.ocr import OcrLine
from pipeline.templates import Template
from pipeline.timeline import Timeline


@dataclass
class Context:
    timeline: Timeline
    claim: Claim
    template: Template
    # Filled in as detectors run, in order: later steps look for their evidence after earlier
    # ones (the gimbal moves after its calibration).
    anchors: dict[str, float] = field(default_factory=dict)


@dataclass
class Detection:
    step: StepResult
    findings: list[Finding] = field(default_factory=list)
    uncertain: list[str] = field(default_factory=list)
    serials: list[SerialCheck] = field(default_factory=list)
    order_time: float | None = None  # where this step sits in the required order


def box(line: OcrLine) -> OcrBox:
    return OcrBox(
        text=line.text, confidence=round(line.confidence, 1), x=line.x, y=line.y, w=line.w, h=line.h
    )


def evidence(ctx: Context, index: int, note: str, lines: list[OcrLine] | None = None) -> Evidence:
    obs = ctx.timeline.observations[index]
    return Evidence(
        time_s=round(obs.time_s, 2), note=note, boxes=[box(x) for x in lines or []], frame_ref=index
    )


def indices(ctx: Context, screen: str) -> list[int]:
    return [i for i, o in enumerate(ctx.timeline.observations) if o.screen == screen]
