"""Sequence rules and the verdict: the one place the rule of evidence is written down.

Every requirement (each step, the order, continuity) answers one of three things (``Seen``):
seen, with confidence; not seen, for a reason the pipeline is sure of (a ``Finding``); or
could not tell (a doubt, with its frames). The verdict follows from the answers alone:
- any sure reason rejects, and the rejection carries only those reasons (doubts stay doubts);
- otherwise any "could not tell" is ``needs_review``: what was not read is never fine;
- ``approved`` only when every requirement was seen, with confidence, and nothing is in doubt.
"""

from __future__ import annotations

from enum import StrEnum

from pipeline.detectors import Detection
from pipeline.models import Finding, Reason, Verdict

MIN_CONFIDENCE = 0.5


class Seen(StrEnum):
    SEEN = "seen"
    NOT_SEEN = "not_seen"
    COULD_NOT_TELL = "could_not_tell"


def seen(det: Detection) -> Seen:
    """A step's answer: its findings are sure reasons; a step not found without one, a doubt
    or a low confidence is "could not tell"."""
    if det.findings:
        return Seen.NOT_SEEN
    if not det.step.found or det.uncertain or det.step.confidence < MIN_CONFIDENCE:
        return Seen.COULD_NOT_TELL
    return Seen.SEEN


NOT_FOUND = frozenset(
    {
        Reason.RC_SERIAL_NOT_FOUND,
        Reason.GIMBAL_CALIBRATION_NOT_FOUND,
        Reason.GIMBAL_MOVEMENT_NOT_FOUND,
        Reason.FLIGHT_STATUS_NOT_FOUND,
    }
)
UNREAD_PAGES = 2  # pages of unknown words that make "not found" a doubt


def unread_pages_doubt(findings: list[Finding], unknown_pages: int) -> tuple[list[Finding], list[str]]:
    """ "Not found" is sure only where the pipeline could read what it saw. A recording with
    pages full of words no template knows (a UI language only partly known, an app version
    with other labels) may show the step on one of them: the finding becomes a doubt."""
    if unknown_pages < UNREAD_PAGES:
        return findings, []
    kept = [f for f in findings if f.reason not in NOT_FOUND]
    doubts = [
        f"{f.message}, but {unknown_pages} page reads held words no template knows (UI language?)"
        for f in findings
        if f.reason in NOT_FOUND
    ]
    return kept, doubts


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
        latest = b.order_latest if b.order_latest is not None else tb
        if latest < ta - 0.25:  # no sighting of b after a: the order is broken whichever counts
            return Finding(
                reason=Reason.STEPS_OUT_OF_ORDER,
                message=f"{b.step.name} ({latest:.1f}s) comes before {a.step.name} ({ta:.1f}s)",
                time_s=latest,
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
        elif not d.step.found and not d.findings and not d.uncertain:
            doubts.append(f"{d.step.name} not seen")  # no reason is sure, so it is a doubt
    if reasons:
        return Verdict.REJECTED, reasons, doubts
    if doubts:
        return Verdict.NEEDS_REVIEW, reasons, doubts
    return Verdict.APPROVED, reasons, doubts
