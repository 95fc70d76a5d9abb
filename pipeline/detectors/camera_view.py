"""Step 4: back in the camera view after the flight status check, held at least 3 s with strong GPS.

Only the camera view after the flight-status step counts (the guide: go back to the camera view
and stay there); the live view seen while the gimbal moved is another step. GPS is strong only
on positive evidence: a satellite count read, at or above the template's minimum, drawn in the
ordinary colour, with no weak-GPS words anywhere on the screen (the bar, a banner, a toast).
A count drawn red or yellow, or too low, is weak. A count that could not be read is neither:
the step then goes to a reviewer, never to an approval. Weak GPS is claimed only as the app
shows it (weak-GPS words, a count in a warning colour), read so more than once; a low count in
the ordinary colour is a doubt, and so is a lost-link notice (no reason code covers it).
"""

from __future__ import annotations

from enum import StrEnum

from pipeline.detectors.base import Context, Detection, Earlier, evidence, found_step, indices, runs
from pipeline.models import Finding, Reason, StepName, StepResult
from pipeline.reading import Observation, ScreenKind
from pipeline.reading.facts import CameraFacts
from pipeline.templates import CameraWords

STEP = StepName.CAMERA_VIEW
MIN_HOLD_S = 3.0
MIN_STRONG_READS = 1  # satellite counts read at or above the minimum in the required view
MIN_WEAK_READS = 2  # weak readings before weak GPS is claimed
STATUS_SLACK_S = 0.5  # a camera read just before the status step's last read is the panel closing


class Gps(StrEnum):
    STRONG = "strong"
    WEAK = "weak"
    UNKNOWN = "unknown"


def weak_words(o: Observation) -> tuple[str, ...]:
    cam = o.facts if isinstance(o.facts, CameraFacts) else CameraFacts()
    return o.top.gps_weak_words + cam.gps_weak_words


def link_words(o: Observation) -> tuple[str, ...]:
    return o.facts.link_weak_words if isinstance(o.facts, CameraFacts) else ()


def gps_state(o: Observation, words: CameraWords) -> Gps:
    bar = o.top
    if weak_words(o) or bar.satellites_warm:
        return Gps.WEAK
    if bar.satellites is not None:
        return Gps.STRONG if bar.satellites >= words.min_satellites else Gps.WEAK
    return Gps.UNKNOWN


def _end_of(ctx: Context, run: list[int]) -> float:
    """The scheduler re-reads a screen as soon as it changes, so a screen lasts until the next
    observation (or the end of the video)."""
    obs = ctx.timeline.observations
    nxt = run[-1] + 1
    return obs[nxt].start_s if nxt < len(obs) else ctx.timeline.samples[-1].time_s


def _unrecognised_after(ctx: Context, earlier: Earlier) -> float:
    """Seconds of screens no template recognised after the flight status step (after the
    start when it was not found)."""
    obs = ctx.timeline.observations
    since = status_end(earlier) or 0.0
    unknown = [i for i in indices(ctx, ScreenKind.UNKNOWN) if obs[i].start_s >= since - STATUS_SLACK_S]
    return sum(_end_of(ctx, run) - obs[run[0]].start_s for run in runs(unknown))


def status_end(earlier: Earlier) -> float | None:
    """When the flight status step was last seen, if it was found."""
    status = found_step(earlier, StepName.FLIGHT_STATUS)
    return None if status is None else (status.end_s or status.start_s or 0.0)


def required_view(ctx: Context, earlier: Earlier) -> list[list[int]]:
    """Runs of camera-view observations that can be step 4: those after the flight status step
    when it was found, else all of them."""
    obs = ctx.timeline.observations
    closed = status_end(earlier)
    cams = indices(ctx, ScreenKind.CAMERA)
    if closed is not None:
        cams = [i for i in cams if obs[i].start_s >= closed - STATUS_SLACK_S]
    return runs(cams)


def detect(ctx: Context, earlier: Earlier) -> Detection:
    obs = ctx.timeline.observations
    words = ctx.template.camera
    view = required_view(ctx, earlier)
    if not view:
        after = " after the flight status check" if status_end(earlier) else ""
        step = StepResult(name=STEP, found=False, detail=f"no camera view{after}")
        return Detection(step, [Finding(reason=Reason.CAMERA_VIEW_TOO_SHORT, message=step.detail)])
    members = [i for run in view for i in run]
    states = {i: gps_state(obs[i], words) for i in members}
    weak = [i for i in members if states[i] is Gps.WEAK]
    # A low count alone is one number read, and two reads of a bar that did not change are
    # the same pixels read twice (even the same cached read), not two readings: a misread digit
    # ("17" as "174 4", its icon as a digit) as likely as weak GPS. The apps say weak GPS in
    # words and warning colours, their own verdict: only those make the rejection; a low count
    # in the ordinary colour is a doubt for a person (below).
    shown_weak = [i for i in weak if weak_words(obs[i]) or obs[i].top.satellites_warm]
    if len(shown_weak) >= MIN_WEAK_READS:
        i = shown_weak[0]
        why = ", ".join(weak_words(obs[i])) or f"{obs[i].top.satellites} satellites" + (
            " (drawn in a warning colour)" if obs[i].top.satellites_warm else ""
        )
        ev = [evidence(ctx, j, f"weak GPS: {why}") for j in shown_weak[:2]]
        step = StepResult(
            name=STEP,
            found=False,
            start_s=round(obs[members[0]].start_s, 2),
            end_s=round(_end_of(ctx, view[-1]), 2),
            detail=f"GPS weak in the camera view ({why})",
            evidence=ev,
        )
        finding = Finding(reason=Reason.GPS_WEAK, message=step.detail, time_s=obs[i].time_s, evidence=ev)
        return Detection(step, [finding])
    # The longest run: the view held in one go.
    spans = [(obs[run[0]].start_s, _end_of(ctx, run), run) for run in view]
    start, end, run = max(spans, key=lambda s: s[1] - s[0])
    held = end - start
    strong = [i for i in run if states[i] is Gps.STRONG]
    sats = [s for s in (obs[i].top.satellites for i in strong) if s is not None]
    after = " after the flight status check" if status_end(earlier) is not None else ""
    if held < MIN_HOLD_S:
        # Screens no template recognised after the status check, long enough to hold the
        # view, may be that view unread: "too short" is not sure then, only a doubt.
        unsure = held + _unrecognised_after(ctx, earlier) >= MIN_HOLD_S
        detail = (
            f"camera view read for {held:.1f}s{after}; screens after it were not recognised"
            if unsure
            else f"camera view held {held:.1f}s{after}, less than {MIN_HOLD_S:.0f}s"
        )
        ev = [evidence(ctx, run[0], "camera view")]
        step = StepResult(
            name=STEP, found=False, start_s=round(start, 2), end_s=round(end, 2), detail=detail, evidence=ev
        )
        if unsure:
            return Detection(step, uncertain=[detail])
        return Detection(step, [Finding(reason=Reason.CAMERA_VIEW_TOO_SHORT, message=detail, evidence=ev)])
    step = StepResult(
        name=STEP,
        found=True,
        start_s=round(start, 2),
        end_s=round(end, 2),
        confidence=0.9 if len(strong) >= MIN_STRONG_READS else 0.4,
        detail=f"camera view {held:.1f}s"
        + (f", {min(sats)}-{max(sats)} satellites" if sats else ", satellites not read"),
        evidence=[evidence(ctx, run[0], "camera view with GPS"), evidence(ctx, run[-1], "camera view end")],
    )
    det = Detection(step, order_time=step.start_s)
    if len(strong) < MIN_STRONG_READS:
        det.uncertain.append(
            f"GPS not shown strong in the camera view: satellite count read {len(strong)} time(s)"
        )
    if shown_weak or (weak and not strong):
        weak = shown_weak or weak
        times = ", ".join(f"{obs[i].time_s:.1f}s" for i in weak[:3])
        count = "once" if len(weak) == 1 else f"{len(weak)} times"
        det.uncertain.append(f"weak GPS read {count} in the camera view at {times}")
        det.step.evidence.append(evidence(ctx, weak[0], "weak GPS reading"))
    links = [i for i in members if link_words(obs[i])]
    if links:
        det.uncertain.append("signal warning in the camera view: " + ", ".join(link_words(obs[links[0]])))
        det.step.evidence.append(evidence(ctx, links[0], "signal warning"))
    return det
