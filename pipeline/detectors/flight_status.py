"""Step 3: the flight status is checked and clean.

One app opens a status list that must be scrolled to its last row (the template's
``status.must_reach_end``), another a status panel from the status pill. Any warning or error
word in the list, the panel or the status pill is a failed check. A warning colour whose words
could not be read, on the same row in more than one read, is a question for a reviewer, not a
rejection.
"""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.detectors.base import Context, Detection, Earlier, evidence, indices, runs
from pipeline.models import Finding, Reason, StepName, StepResult
from pipeline.reading import Observation, ScreenKind
from pipeline.reading.facts import WARM_COLOURS

STEP = StepName.FLIGHT_STATUS


def _solid(seen: list[int]) -> list[int]:
    """Drop lone observations when the list was also seen for longer: a single frame in the middle
    of a transition can look like a status list."""
    solid = [i for r in runs(seen) if len(r) >= 2 for i in r]
    return solid or seen


def _row_key(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())


def _persistent_colour(obs: Sequence[Observation], seen: list[int]) -> list[int]:
    """Observations with a warning colour that more than one read agrees on. A panel fading in
    over a red or orange picture tints its own rows for a frame or two; a real warning stays."""
    rows: dict[str, list[int]] = {}
    for i in seen:
        for line in obs[i].status.warn_colour_lines:
            rows.setdefault(_row_key(line.text), []).append(i)
    coloured = sorted({i for hits in rows.values() if len(set(hits)) >= 2 for i in hits})
    pills = [i for i, o in enumerate(obs) if o.screen is ScreenKind.CAMERA and o.top.colour in WARM_COLOURS]
    if len(pills) >= 2:
        coloured += pills
    return coloured


def _list_name(ctx: Context) -> str:
    """The status list's title as the app shows it (the template's), for a reviewer."""
    sig = ctx.template.screens.get(ScreenKind.STATUS_LIST)
    return sig.title[0] if sig is not None and sig.title else "status"


def detect(ctx: Context, earlier: Earlier) -> Detection:
    obs = ctx.timeline.observations
    seen = _solid(indices(ctx, ScreenKind.STATUS_LIST))
    errors = [
        (i, phrase, line)
        for i, o in enumerate(obs)
        for phrase, line in o.error_lines
        if o.screen in (ScreenKind.STATUS_LIST, ScreenKind.CAMERA)
    ]
    det: Detection
    if seen:
        end_seen = any(obs[i].status.end_seen for i in seen)
        needs_end = ctx.template.status.must_reach_end
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
        last_run = runs(seen)[-1]
        det = Detection(step, order_time=step.start_s, order_latest=obs[last_run[0]].time_s)
        if needs_end and not end_seen:
            det.uncertain.append(f"the {_list_name(ctx)} list was not seen scrolled to its last row")
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
    elif ctx.template.status.warning_colours:  # the app draws its warnings in colour
        coloured = _persistent_colour(obs, seen)
        if coloured:
            i = coloured[0]
            det.uncertain.append(
                f"warning colour in the flight status at {obs[i].time_s:.1f}s, words unreadable"
            )
            lines = list(obs[i].status.warn_colour_lines)
            det.step.evidence.append(evidence(ctx, i, "warning colour", lines))
    return det
