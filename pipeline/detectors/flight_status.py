"""Step 3: the flight status is checked and clean.

DJI GO 4 opens the Aircraft Status list, which must be scrolled to its last row; DJI Fly opens
its status panel from the status pill. Any warning or error word in the list, the panel or the
status pill is a failed check. A warning colour whose words could not be read, on the same row
in more than one read, is a question for a reviewer, not a rejection.
"""

from __future__ import annotations

from pipeline.detectors.base import Context, Detection, evidence, indices
from pipeline.models import Finding, Reason, StepName, StepResult

STEP = StepName.FLIGHT_STATUS


def _solid(seen: list[int]) -> list[int]:
    """Drop lone observations when the list was also seen for longer: a single frame in the middle
    of a transition can look like a status list."""
    runs: list[list[int]] = []
    for i in seen:
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    solid = [i for r in runs if len(r) >= 2 for i in r]
    return solid or seen


def _row_key(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())


def _persistent_colour(obs: list, seen: list[int]) -> list[int]:
    """Observations with a warning colour that more than one read agrees on. A panel fading in
    over a red or orange picture tints its own rows for a frame or two; a real warning stays."""
    rows: dict[str, list[int]] = {}
    for i in seen:
        for line in obs[i].warn_colour_lines:
            rows.setdefault(_row_key(line.text), []).append(i)
    coloured = sorted({i for hits in rows.values() if len(set(hits)) >= 2 for i in hits})
    warm = ("red", "orange", "yellow")
    pills = [i for i, o in enumerate(obs) if o.screen == "camera" and o.bar_colour in warm]
    if len(pills) >= 2:
        coloured += pills
    return coloured


def detect(ctx: Context) -> Detection:
    obs = ctx.timeline.observations
    seen = _solid(indices(ctx, "status_list"))
    errors = [
        (i, phrase, line)
        for i, o in enumerate(obs)
        for phrase, line in o.error_lines
        if o.screen in ("status_list", "camera")
    ]
    det: Detection
    if seen:
        end_seen = any(obs[i].status_end_seen for i in seen)
        needs_end = ctx.template.app == "dji_go4"
        step = StepResult(
            name=STEP,
            found=True,
            start_s=obs[seen[0]].time_s,
            end_s=obs[seen[-1]].time_s,
            confidence=0.9 if end_seen or not needs_end else 0.5,
            detail="status list read to the end" if end_seen else "status panel read",
            evidence=[
                evidence(ctx, i, "status list") for i in (seen[:1] + seen[-1:] if len(seen) > 1 else seen)
            ],
        )
        det = Detection(step, order_time=step.start_s)
        if needs_end and not end_seen:
            det.uncertain.append("the Aircraft Status list was not seen scrolled to its last row")
        ctx.anchors["flight_status"] = step.start_s or 0.0
    else:
        detail = "the status list or panel was never opened"
        step = StepResult(name=STEP, found=False, detail=detail)
        det = Detection(step, [Finding(reason=Reason.FLIGHT_STATUS_NOT_FOUND, message=detail)])
    if errors:
        words = sorted({phrase for _, phrase, _ in errors})
        ev = []
        for i, _, _ in errors:
            if all(e.frame_ref != i for e in ev):
                ev.append(evidence(ctx, i, "warning shown", [line for j, _, line in errors if j == i]))
            if len(ev) >= 3:
                break
        det.findings.append(
            Finding(
                reason=Reason.FLIGHT_STATUS_ERROR,
                message="warning or error shown: " + ", ".join(words),
                time_s=obs[errors[0][0]].time_s,
                evidence=ev,
            )
        )
    else:
        coloured = _persistent_colour(obs, seen)
        if coloured:
            i = coloured[0]
            det.uncertain.append(
                f"warning colour in the flight status at {obs[i].time_s:.1f}s, words unreadable"
            )
            det.step.evidence.append(evidence(ctx, i, "warning colour", obs[i].warn_colour_lines))
    return det
