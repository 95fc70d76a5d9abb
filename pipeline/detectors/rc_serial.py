"""Step 1: the About page with a readable RC serial, matched to the product record.

The aircraft SN is checked too where the page shows it. Every read of every About frame goes
to a per-character vote (``serial_vote``): a difference from the record rejects only when
independent readings agree on it with confidence; a serial that was read, but not surely, is a
question for a reviewer with the frames it was read on; an About page whose serial could not be
read at all is not a missing step either, only an About page never shown is.
"""

from __future__ import annotations

from pipeline import serials
from pipeline.detectors.base import Context, Detection, Earlier, evidence, indices
from pipeline.models import Finding, Reason, SerialCheck, StepName, StepResult
from pipeline.reading import ScreenKind
from pipeline.serial_vote import Decision, Outcome, Reading, fuse

STEP = StepName.RC_SERIAL
MAX_EVIDENCE = 3


def _check(
    ctx: Context, role: str, expected: str | None, exclude: tuple[str, ...] = ()
) -> tuple[SerialCheck, Decision, list[int]]:
    reads: list[Reading] = []
    where: dict[int, list[int]] = {}  # origin -> observations that carry it
    raws: list[str] = []
    for i in indices(ctx, ScreenKind.ABOUT):
        for read in ctx.timeline.observations[i].serials:
            if read.role != role:
                continue
            reads.append(Reading(read.text, read.origin, read.confidence, read.symbols))
            raws.append(read.text)
            where.setdefault(read.origin, [])
            if i not in where[read.origin]:
                where[read.origin].append(i)
    decision = fuse(reads, expected, exclude)
    check = SerialCheck(
        role=role,
        read=decision.value,
        raw=", ".join(sorted(set(raws))[:6]) or None,
        expected=serials.normalise(expected) if expected else None,
        matched=None
        if expected is None or decision.outcome is Outcome.UNREAD
        else decision.outcome is Outcome.MATCH,
        confidence=round(max((r.confidence for r in reads), default=0.0) / 100, 2),
    )
    frames = decision.proof_frames or decision.frames
    observed = sorted({i for origin in frames for i in where.get(origin, [])[:1]})
    return check, decision, observed


def _positions(decision: Decision, expected: str) -> str:
    want = serials.normalise(expected)
    value = decision.value or ""
    parts = [
        f"{want[p] if p < len(want) else '?'}→{value[p] if p < len(value) else '?'} at {p + 1}"
        for p in (decision.differing or decision.doubtful)
    ]
    return ", ".join(parts[:6])


def _label_seen(ctx: Context, role: str) -> list[int]:
    return [i for i in indices(ctx, ScreenKind.ABOUT) if role in ctx.timeline.observations[i].serial_roles]


def detect(ctx: Context, earlier: Earlier) -> Detection:
    # A label paired with the next row's value on some frames reads the other serial: each
    # role's vote leaves out reads of the other role's record and first reading.
    claim = ctx.claim
    first_rc = _check(ctx, "rc", claim.rc_sn, (claim.aircraft_sn or "",))[1].value or ""
    first_ac = _check(ctx, "aircraft", claim.aircraft_sn, (claim.rc_sn,))[1].value or ""
    rc, rc_vote, rc_where = _check(ctx, "rc", claim.rc_sn, (claim.aircraft_sn or "", first_ac))
    aircraft, ac_vote, ac_where = _check(ctx, "aircraft", claim.aircraft_sn, (claim.rc_sn, first_rc))
    about = indices(ctx, ScreenKind.ABOUT)
    ev = []
    for i in rc_where[:MAX_EVIDENCE]:
        obs = ctx.timeline.observations[i]
        lines = [x for r in obs.serials if r.role == "rc" for x in (r.label_box, r.value_box)]
        ev.append(evidence(ctx, i, "RC serial on the About page", lines[:2]))
    found = rc.read is not None
    obs_times = [ctx.timeline.observations[i].time_s for i in rc_where] or [
        ctx.timeline.observations[i].time_s for i in about
    ]
    labelled = _label_seen(ctx, "rc")
    step = StepResult(
        name=STEP,
        found=found,
        start_s=min(obs_times) if obs_times else None,
        end_s=max(obs_times) if obs_times else None,
        confidence=(0.9 if rc_vote.outcome is Outcome.MATCH else 0.6) if found else 0.0,
        detail=f"read {rc.read}"
        if found
        else ("About page seen, RC serial unreadable" if about else "no About page"),
        evidence=ev or [evidence(ctx, i, "About page") for i in (labelled or about)[:2]],
    )
    det = Detection(step=step, serials=[rc, aircraft], order_time=step.start_s)
    if not found:
        if about:
            # The page is there, its serial could not be read: a person can read it.
            det.uncertain.append("the About page was seen, but its RC serial could not be read")
        else:
            det.findings.append(
                Finding(reason=Reason.RC_SERIAL_NOT_FOUND, message=step.detail, evidence=step.evidence)
            )
    elif rc_vote.outcome is Outcome.MISMATCH:
        det.findings.append(
            Finding(
                reason=Reason.RC_SERIAL_MISMATCH,
                message=f"RC serial shown is {rc.read}, the product record says {rc.expected} "
                f"({_positions(rc_vote, ctx.claim.rc_sn)}, read alike on {len(rc_vote.proof_frames)} frames)",
                time_s=step.start_s,
                evidence=ev,
            )
        )
    elif rc_vote.outcome is Outcome.UNSURE:
        det.uncertain.append(
            f"RC serial read as {rc.read}, not surely {rc.expected} ({_positions(rc_vote, ctx.claim.rc_sn)})"
        )
    if aircraft.read and ctx.claim.aircraft_sn:
        ac_ev = [evidence(ctx, i, "Aircraft serial on the About page") for i in ac_where[:MAX_EVIDENCE]]
        if ac_vote.outcome is Outcome.MISMATCH:
            det.findings.append(
                Finding(
                    reason=Reason.AIRCRAFT_SERIAL_MISMATCH,
                    message=f"aircraft SN shown is {aircraft.read}, the claim is {aircraft.expected} "
                    f"({_positions(ac_vote, ctx.claim.aircraft_sn)})",
                    evidence=ac_ev,
                )
            )
        elif ac_vote.outcome is Outcome.UNSURE:
            det.uncertain.append(
                f"aircraft SN read as {aircraft.read}, not surely {aircraft.expected} "
                f"({_positions(ac_vote, ctx.claim.aircraft_sn)})"
            )
            det.step.evidence.extend(ac_ev[:1])
    return det
