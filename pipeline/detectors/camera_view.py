"""Step 4: the camera view held for at least 3 s with strong GPS.

GPS is strong when the satellite count in the top bar reaches the template's minimum and no
weak-GPS words show; an unreadable count with a ready status that names a GPS fix (the
template's ``camera.gps_fix``) is accepted with less confidence. The step counts after the
flight status check when the recording has one there. The link signal is not checked yet.
"""

from __future__ import annotations

from enum import StrEnum

from pipeline.detectors.base import Context, Detection, Earlier, evidence, found_step, indices, runs
from pipeline.models import Finding, Reason, StepName, StepResult
from pipeline.reading import Observation, ScreenKind
from pipeline.templates import CameraWords

STEP = StepName.CAMERA_VIEW
MIN_HOLD_S = 3.0


class Gps(StrEnum):
    STRONG = "strong"
    WEAK = "weak"
    UNKNOWN = "unknown"


def gps_state(o: Observation, words: CameraWords) -> Gps:
    bar = o.top
    if bar.gps_weak_words:
        return Gps.WEAK
    if bar.satellites is not None:
        return Gps.STRONG if bar.satellites >= words.min_satellites else Gps.WEAK
    if bar.ready and bar.text and any(w in bar.text.lower() for w in words.gps_fix):
        return Gps.STRONG
    return Gps.UNKNOWN


Hold = tuple[float, float, list[int]]  # start, end, observation indices


def _span(ctx: Context, run: list[int]) -> tuple[float, float]:
    obs = ctx.timeline.observations
    # The scheduler re-reads a screen as soon as it changes, so a screen lasts until the next
    # observation (or the end of the video).
    nxt = run[-1] + 1
    end = obs[nxt].start_s if nxt < len(obs) else ctx.timeline.samples[-1].time_s
    return obs[run[0]].start_s, end


def strong_holds(ctx: Context) -> tuple[list[Hold], list[int]]:
    """Stretches of camera view without a weak-GPS read, and the weak reads."""
    obs = ctx.timeline.observations
    words = ctx.template.camera
    holds: list[Hold] = []
    weak_seen: list[int] = []
    for run in runs(indices(ctx, ScreenKind.CAMERA)):
        states = [gps_state(obs[i], words) for i in run]
        weak_seen += [i for i, s in zip(run, states, strict=True) if s is Gps.WEAK]
        # Split the run at weak observations: only the strong stretches count.
        stretch: list[int] = []
        for i, state in zip(run, states, strict=True):
            if state is Gps.WEAK:
                if stretch:
                    holds.append((*_span(ctx, stretch), stretch))
                stretch = []
            else:
                stretch.append(i)
        if stretch:
            holds.append((*_span(ctx, stretch), stretch))
    return holds, weak_seen


def detect(ctx: Context, earlier: Earlier) -> Detection:
    obs = ctx.timeline.observations
    words = ctx.template.camera
    status = found_step(earlier, StepName.FLIGHT_STATUS)
    status_at = (status.start_s or 0.0) if status is not None else None
    holds, weak_seen = strong_holds(ctx)
    long_enough = [h for h in holds if h[1] - h[0] >= MIN_HOLD_S]
    after_status = [h for h in long_enough if status_at is None or h[0] >= status_at]
    chosen = (after_status or long_enough or [None])[-1] if (after_status or long_enough) else None
    if chosen is not None:
        start, end, run = chosen
        unknown = [i for i in run if gps_state(obs[i], words) is Gps.UNKNOWN]
        sats = [s for s in (obs[i].top.satellites for i in run) if s is not None]
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
    if not indices(ctx, ScreenKind.CAMERA):
        step = StepResult(name=STEP, found=False, detail="no camera view")
        return Detection(step, [Finding(reason=Reason.CAMERA_VIEW_TOO_SHORT, message=step.detail)])
    longest = max(holds, key=lambda h: h[1] - h[0], default=None)
    if weak_seen and (longest is None or len(weak_seen) >= len(longest[2])):
        i = weak_seen[0]
        bar = obs[i].top
        why = ", ".join(bar.gps_weak_words) if bar.gps_weak_words else f"{bar.satellites} satellites"
        ev = [evidence(ctx, i, f"weak GPS: {why}")]
        step = StepResult(name=STEP, found=False, detail=f"GPS weak in the camera view ({why})", evidence=ev)
        return Detection(
            step,
            [Finding(reason=Reason.GPS_WEAK, message=step.detail, time_s=obs[i].time_s, evidence=ev)],
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
