"""Step 1: the About page with a readable RC serial, matched to the product record.

The aircraft SN is checked too where the page shows it. Every read of every About frame is
kept, because small serial text is read differently from frame to frame.
"""

from __future__ import annotations

from pipeline import serials
from pipeline.detectors.base import Context, Detection, Earlier, evidence, indices
from pipeline.models import Finding, Reason, SerialCheck, StepName, StepResult
from pipeline.reading import ScreenKind

STEP = StepName.RC_SERIAL


def _check(ctx: Context, role: str, expected: str | None) -> tuple[SerialCheck, list[int]]:
    reads: list[str] = []
    where: list[int] = []
    confs: list[float] = []
    raws: list[str] = []
    for i in indices(ctx, ScreenKind.ABOUT):
        for read in ctx.timeline.observations[i].serials:
            if read.role == role:
                reads.append(read.text)
                raws.append(read.text)
                confs.append(read.confidence)
                if i not in where:
                    where.append(i)
    value, match = serials.best_read(reads, expected)
    check = SerialCheck(
        role=role,
        read=value,
        raw=", ".join(sorted(set(raws))[:6]) or None,
        expected=serials.normalise(expected) if expected else None,
        matched=None if match is None or expected is None else match is serials.Match.EXACT,
        confidence=round(max(confs, default=0.0) / 100, 2),
    )
    return check, where


def detect(ctx: Context, earlier: Earlier) -> Detection:
    rc, rc_where = _check(ctx, "rc", ctx.claim.rc_sn)
    aircraft, ac_where = _check(ctx, "aircraft", ctx.claim.aircraft_sn)
    about = indices(ctx, ScreenKind.ABOUT)
    ev = []
    for i in rc_where[:2]:
        obs = ctx.timeline.observations[i]
        lines = [x for r in obs.serials if r.role == "rc" for x in (r.label_box, r.value_box)]
        ev.append(evidence(ctx, i, "RC serial on the About page", lines))
    found = rc.read is not None
    obs_times = [ctx.timeline.observations[i].time_s for i in rc_where] or [
        ctx.timeline.observations[i].time_s for i in about
    ]
    step = StepResult(
        name=STEP,
        found=found,
        start_s=min(obs_times) if obs_times else None,
        end_s=max(obs_times) if obs_times else None,
        confidence=rc.confidence if found else 0.0,
        detail=f"read {rc.read}"
        if found
        else ("About page seen, RC serial unreadable" if about else "no About page"),
        evidence=ev or [evidence(ctx, i, "About page") for i in about[:1]],
    )
    det = Detection(step=step, serials=[rc, aircraft], order_time=step.start_s)
    if not found:
        det.findings.append(
            Finding(reason=Reason.RC_SERIAL_NOT_FOUND, message=step.detail, evidence=step.evidence)
        )
    else:
        match = serials.compare(rc.read, ctx.claim.rc_sn)
        if match is serials.Match.MISMATCH and not rc.matched:
            det.findings.append(
                Finding(
                    reason=Reason.RC_SERIAL_MISMATCH,
                    message=f"RC serial shown is {rc.read}, the product record says {rc.expected}",
                    time_s=step.start_s,
                    evidence=ev,
                )
            )
        elif not rc.matched:
            det.uncertain.append(
                f"RC serial read as {rc.read}: differs from {rc.expected} only in look-alike characters"
            )
    if aircraft.read and ctx.claim.aircraft_sn and not aircraft.matched:
        ac_ev = [evidence(ctx, i, "Aircraft serial on the About page") for i in ac_where[:1]]
        match = serials.compare(aircraft.read, ctx.claim.aircraft_sn)
        if match is serials.Match.MISMATCH:
            det.findings.append(
                Finding(
                    reason=Reason.AIRCRAFT_SERIAL_MISMATCH,
                    message=f"aircraft SN shown is {aircraft.read}, the claim is {aircraft.expected}",
                    evidence=ac_ev,
                )
            )
        else:
            det.uncertain.append(
                f"aircraft SN read as {aircraft.read}: look-alike characters differ from the claim"
            )
    return det
