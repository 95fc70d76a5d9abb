"""Sequence rules and the verdict.

The steps must appear in the required order; a rejection carries every reason found; anything
uncertain turns what would be an approval into ``needs_review``. An automatic approval is only
given when every step was found with confidence and nothing is in doubt.
"""

from __future__ import annotations

from pipeline.detectors import Detection
from pipeline.models import Finding, Reason, Verdict

MIN_CONFIDENCE = 0.5


def order_finding(detections: list[Detection]) -> Finding | None:
    if not all(d.step.found for d in detections):
        return None
    times = [d.order_time for d in detections]
    if any(t is None for t in times):
        return None
    for (a, ta), (b, tb) in zip(
        zip(detections, times, strict=True),
        zip(detections[1:], times[1:], strict=True),
        strict=False,
    ):
        if tb < ta - 0.25:
            return Finding(
                reason=Reason.STEPS_OUT_OF_ORDER,
                message=f"{b.step.name} ({tb:.1f}s) comes before {a.step.name} ({ta:.1f}s)",
                time_s=tb,
                evidence=a.step.evidence[:1] + b.step.evidence[:1],
            )
    return None


def decide(
    findings: list[Finding], uncertain: list[str], detections: list[Detection]
) -> tuple[Verdict, list[Reason], list[str]]:
    reasons: list[Reason] = []
    for f in findings:
        if f.reason not in reasons:
            reasons.append(f.reason)
    doubts = list(uncertain)
    for d in detections:
        if d.step.found and d.step.confidence < MIN_CONFIDENCE:
            doubts.append(f"{d.step.name} seen with low confidence ({d.step.confidence:.2f})")
    if reasons:
        return Verdict.REJECTED, reasons, doubts
    if doubts:
        return Verdict.NEEDS_REVIEW, reasons, doubts
    return Verdict.APPROVED, reasons, doubts
