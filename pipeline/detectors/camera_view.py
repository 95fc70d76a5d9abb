"""Step 4: the camera view held for at least 3 s with strong GPS and normal signal.

GPS is strong when the satellite count in the top bar reaches the template's minimum and no
weak-GPS words show; an unreadable count with a "(GPS)" status is accepted with less
confidence. The step counts after the flight status check when the recording has one there.
"""

from __future__ import annotations

from pipeline.detectors.base import Context, Detection, evidence
from pipeline.models import Finding, Reason, StepName, StepResult
from pipeline.observe import Observation

STEP = StepName.CAMERA_VIEW
MIN_HOLD_S = 3.0


def gps_state(o: Observation, min_sats: int) -> str:
    """strong | weak | unknown"""
    if o.gps_weak_words:
        return "weak"
    if o.satellites is not None:
        return "strong" if o.satellites >= min_sats else "weak"
    if o.bar_ready and o.bar_text and "gps" in o.bar_text.lower():
        return "strong"
    return "unknown"


def _holds(ctx: Context) -> list[list[int]]:
    obs = ctx.timeline.observations
    runs: list[list[int]] = []
    for i, o in enumerate(obs):
        if o.screen != "camera":
            continue
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def _span(ctx: Context, run: list[int]) -> tuple[float, float]:
    obs = ctx.timeline.observations
    # The scheduler re-reads a screen as soon as it changes, so a screen lasts until the next
    # observation (or the end of the video).
    nxt = run[-1] + 1
    end = _start(obs[nxt]) if nxt < len(obs) else ctx.timeline.samples[-1].time_s
    return _start(obs[run[0]]), end


def _start(o: Observation) -> float:
    return o.onset_s if o.onset_s is not None else o.time_s


def detect(ctx: Context) -> Detection:
    obs = ctx.timeline.observations
    min_sats = ctx.template.camera.min_satellites
    status_at = ctx.anchors.get("flight_status")
    strong_holds: list[tuple[float, float, list[int]]] = []
    weak_seen: list[int] = []
    for run in _holds(ctx):
        states = [gps_state(obs[i], min_sats) for i in run]
        weak_seen += [i for i, s in zip(run, states, strict=True) if s == "weak"]
        # Split the run at weak observations: only the strong stretches count.
        stretch: list[int] = []
        for i, state in zip(run, states, strict=True):
            if state == "weak":
                if stretch:
                    strong_holds.append((*_span(ctx, stretch), stretch))
                stretch = []
            else:
                stretch.append(i)
        if stretch:
            strong_holds.append((*_span(ctx, stretch), stretch))
    long_enough = [h for h in strong_holds if h[1] - h[0] >= MIN_HOLD_S]
    after_status = [h for h in long_enough if status_at is None or h[0] >= status_at]
    chosen = (after_status or long_enough or [None])[-1] if (after_status or long_enough) else None
    if chosen is not None:
        start, end, run = chosen
        unknown = [i for i in run if gps_state(obs[i], min_sats) == "unknown"]
        sats = [obs[i].satellites for i in run if obs[i].satellites is not None]
        step = StepResult(
            name=STEP,
            found=True,
            start_s=round(start, 2),
            end_s=round(end, 2),
            confidence=0.9 if not unknown else 0.6,
            detail=f"camera view {end - start:.1f}s"
            + (f", {min(sats)}-{max(sats)} satellites" if sats else ""),
            evidence=[
                evidence(ctx, run[0], "camera view with GPS"),
                evidence(ctx, run[-1], "camera view end"),
            ],
        )
        det = Detection(step, order_time=step.start_s)
        if len(unknown) > len(run) / 2:
            det.uncertain.append("GPS satellite count unreadable in the camera view")
        return det
    cams = [i for i, o in enumerate(obs) if o.screen == "camera"]
    if not cams:
        step = StepResult(name=STEP, found=False, detail="no camera view")
        return Detection(step, [Finding(reason=Reason.CAMERA_VIEW_TOO_SHORT, message=step.detail)])
    longest = max(strong_holds, key=lambda h: h[1] - h[0], default=None)
    if weak_seen and (longest is None or len(weak_seen) >= len(longest[2])):
        i = weak_seen[0]
        o = obs[i]
        why = ", ".join(o.gps_weak_words) if o.gps_weak_words else f"{o.satellites} satellites"
        ev = [evidence(ctx, i, f"weak GPS: {why}")]
        step = StepResult(name=STEP, found=False, detail=f"GPS weak in the camera view ({why})", evidence=ev)
        return Detection(
            step,
            [Finding(reason=Reason.GPS_WEAK, message=step.detail, time_s=o.time_s, evidence=ev)],
        )
    held = (longest[1] - longest[0]) if longest else 0.0
    ev = [evidence(ctx, longest[2][0], "camera view")] if longest else []
    step = StepResult(
        name=STEP,
        found=False,
        start_s=round(longest[0], 2) if longest else None,
        end_s=round(longest[1], 2) if longest else None,
        detail=f"camera view with GPS held {held:.1f}s, less than {MIN_HOLD_S:.0f}s",
        evidence=ev,
    )
    return Detection(step, [Finding(reason=Reason.CAMERA_VIEW_TOO_SHORT, message=step.detail, evidence=ev)])
