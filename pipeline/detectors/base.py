"""What every detector receives and returns."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from pipeline.models import Claim, Evidence, Finding, OcrBox, SerialCheck, StepName, StepResult
from pipeline.ocr import OcrLine
from pipeline.reading import ScreenKind
from pipeline.templates import Template
from pipeline.timeline import Timeline


@dataclass
class Context:
    timeline: Timeline
    claim: Claim
    template: Template


@dataclass
class Detection:
    step: StepResult
    findings: list[Finding] = field(default_factory=list)
    uncertain: list[str] = field(default_factory=list)
    serials: list[SerialCheck] = field(default_factory=list)
    order_time: float | None = None  # where this step sits in the required order
    # The latest place it could sit, when it was also seen later (a status list opened twice):
    # an order broken only by the earlier sighting is no sure break.
    order_latest: float | None = None


def box(line: OcrLine) -> OcrBox:
    return OcrBox(
        text=line.text, confidence=round(line.confidence, 1), x=line.x, y=line.y, w=line.w, h=line.h
    )


def evidence(ctx: Context, index: int, note: str, lines: list[OcrLine] | None = None) -> Evidence:
    obs = ctx.timeline.observations[index]
    return Evidence(
        time_s=round(obs.time_s, 2), note=note, boxes=[box(x) for x in lines or []], frame_ref=index
    )


Earlier = Mapping[StepName, "Detection"]  # the detections of the steps before, by step


class Detector(Protocol):
    """A detector module: later steps look for their evidence after earlier ones (the gimbal
    moves after its calibration), so each is given the detections made before it."""

    STEP: StepName

    def detect(self, ctx: Context, earlier: Earlier) -> Detection: ...


def found_step(earlier: Earlier, step: StepName) -> StepResult | None:
    """An earlier step's result, if that step was found."""
    det = earlier.get(step)
    return det.step if det is not None and det.step.found else None


def indices(ctx: Context, *screens: ScreenKind) -> list[int]:
    return [i for i, o in enumerate(ctx.timeline.observations) if o.screen in screens]


def runs(seen: Iterable[int]) -> list[list[int]]:
    """Consecutive observation indices grouped: [1, 2, 3, 7, 8] -> [[1, 2, 3], [7, 8]]."""
    out: list[list[int]] = []
    for i in seen:
        if out and out[-1][-1] == i - 1:
            out[-1].append(i)
        else:
            out.append([i])
    return out
