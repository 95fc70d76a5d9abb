"""Step 2b: after the calibration, the gimbal is tilted up and down in the camera view.

Two independent signals: the live picture shifts vertically (phase correlation between
consecutive thumbnails, measured on every sample) and the pitch readout changes. Either one,
clearly, is movement; both agreeing is high confidence.
"""

from __future__ import annotations

from pipeline.detectors.base import Context, Detection, Earlier, evidence, found_step, indices, runs
from pipeline.models import Finding, Reason, StepName, StepResult
from pipeline.reading import ScreenKind

STEP = StepName.GIMBAL_MOVEMENT

MIN_TRAVEL = 0.06  # of the picture height, each way
MIN_PITCH_RANGE = 10  # degrees
# A picture that keeps changing this much (percent of thumbnail pixels, less than a cut) on
# this many samples moved, whether or not its shift could be measured.
MOVING_CHANGE = 15.0
MOVING_SAMPLES = 4
CUT_CHANGE = 60.0  # percent of thumbnail pixels: a sample changed more is a cut or a transition


def _camera_runs(ctx: Context) -> list[tuple[float, float]]:
    """Time spans in which the nearest earlier observation is a camera view."""
    obs = ctx.timeline.observations
    # "unknown" is a camera view whose top bar was not read: the picture is what counts here.
    spans = []
    for run in runs(indices(ctx, ScreenKind.CAMERA, ScreenKind.UNKNOWN)):
        nxt = run[-1] + 1
        end = obs[nxt].time_s if nxt < len(obs) else ctx.timeline.samples[-1].time_s
        spans.append((obs[run[0]].time_s, end))
    return spans


def _movement_in(ctx: Context, start: float, end: float) -> tuple[float, float, float | None]:
    """Upward and downward travel (fractions of height) and the first moving time in a span."""
    pos, low, high = 0.0, 0.0, 0.0
    first: float | None = None
    up = down = 0.0
    h = max(1, ctx.timeline.thumb_height)
    for s in ctx.timeline.samples:
        if not (start < s.time_s <= end) or s.change > CUT_CHANGE:
            continue  # a cut or transition is not a tilt
        if abs(s.shift_y) >= 0.3:
            pos += s.shift_y
            first = first if first is not None else s.time_s
        low, high = min(low, pos), max(high, pos)
        up = max(up, pos - low)
        down = max(down, high - pos)
    return up / h, down / h, first


def _changing_samples(ctx: Context, after: float) -> int:
    """Samples of camera views after the calibration whose picture changed like a moving one:
    more than noise, less than a cut."""
    spans = [(max(start, after), end) for start, end in _camera_runs(ctx) if end > after]
    return sum(
        1
        for s in ctx.timeline.samples
        if MOVING_CHANGE <= s.change <= CUT_CHANGE and any(a < s.time_s <= b for a, b in spans)
    )


def detect(ctx: Context, earlier: Earlier) -> Detection:
    obs = ctx.timeline.observations
    calibrated = found_step(earlier, StepName.GIMBAL_CALIBRATION)
    after = (calibrated.end_s or 0.0) if calibrated is not None else -1.0
    candidates = []
    for start, end in _camera_runs(ctx):
        up, down, first = _movement_in(ctx, start, end)
        pitches = sorted({o.pitch for o in obs if o.pitch is not None and start <= o.time_s <= end})
        pitch_range = (pitches[-1] - pitches[0]) if pitches else 0
        moved_image = up >= MIN_TRAVEL and down >= MIN_TRAVEL
        moved_pitch = pitch_range >= MIN_PITCH_RANGE
        if moved_image or moved_pitch:
            # The readout alone is a few OCR'd digits: enough to ask a reviewer, not to approve.
            confidence = 0.95 if moved_image and moved_pitch else 0.8 if moved_image else 0.45
            candidates.append((start, end, up, down, pitches, confidence, first))
    # The clearest movement after the calibration; one before it still counts for the order rule.
    after_it = [c for c in candidates if c[0] >= after - 0.5]
    chosen = max(after_it or candidates, key=lambda c: c[5]) if candidates else None
    if chosen is None:
        detail = "no up and down movement of the camera picture or pitch readout" + (
            " after the calibration" if after >= 0 else ""
        )
        cams = [i for i, o in enumerate(obs) if o.screen is ScreenKind.CAMERA and o.time_s >= after]
        step = StepResult(
            name=STEP,
            found=False,
            detail=detail,
            evidence=[evidence(ctx, i, "camera view, no tilt") for i in cams[:1]],
        )
        moving = _changing_samples(ctx, after)
        if moving >= MOVING_SAMPLES:
            # The shift is measured by phase correlation, which a still overlay across the
            # picture (a weak-GPS banner over a small letterboxed view) can pin at zero: a
            # picture that kept changing may have been tilted, unmeasured. Not sure: a doubt.
            doubt = f"{detail}, but the picture changed on {moving} samples (tilt not measured)"
            return Detection(step, uncertain=[doubt])
        return Detection(
            step,
            [Finding(reason=Reason.GIMBAL_MOVEMENT_NOT_FOUND, message=detail, evidence=step.evidence)],
        )
    start, end, up, down, pitches, confidence, first = chosen
    idx = [i for i, o in enumerate(obs) if start <= o.time_s <= end]
    pitch_text = f", pitch readout {pitches[0]}° to {pitches[-1]}°" if pitches else ""
    step = StepResult(
        name=STEP,
        found=True,
        start_s=round(first if first is not None else start, 2),
        end_s=round(end, 2),
        confidence=confidence,
        detail=f"picture moved {up:.0%} up and {down:.0%} down{pitch_text}",
        evidence=[evidence(ctx, i, "gimbal tilt") for i in (idx[:1] + idx[-1:] if len(idx) > 1 else idx)],
    )
    return Detection(step, order_time=step.start_s)
