"""Step 2a: the gimbal auto calibration runs to completion.

Completion is a completion message or 100 %; progress alone (a dialog left at 60 %) or a
failure message is not a completed calibration. "Not completed" is claimed only when the dialog
was seen closed (the next read showed another screen): when its screen went on, read as the page
under it, the completion may have been there unread, and a reviewer decides.
"""

from __future__ import annotations

from pipeline.detectors.base import Context, Detection, Earlier, evidence, indices
from pipeline.models import Finding, Reason, StepName, StepResult
from pipeline.reading import ScreenKind

STEP = StepName.GIMBAL_CALIBRATION


def detect(ctx: Context, earlier: Earlier) -> Detection:
    obs = ctx.timeline.observations
    seen = indices(ctx, ScreenKind.CALIBRATION)
    facts = {i: obs[i].calibration for i in seen}
    progress = [i for i in seen if (p := facts[i].percent) is not None and p < 100]
    done = [i for i in seen if facts[i].done and not facts[i].failed]
    if progress:
        # A completion message before any progress is a misread transition frame.
        done = [i for i in done if i > progress[0]]
    elif len(done) < 2:
        done = []
    failed = [i for i in seen if facts[i].failed]
    percents = [(round(obs[i].time_s, 1), facts[i].percent) for i in seen if facts[i].percent is not None]
    if done:
        first_seen = min(seen)
        step = StepResult(
            name=STEP,
            found=True,
            start_s=obs[first_seen].time_s,
            end_s=obs[done[0]].time_s,
            confidence=0.9 if len(seen) > 1 else 0.7,
            detail="progress " + ", ".join(f"{p}% at {t}s" for t, p in percents[:8])
            if percents
            else "completed",
            evidence=[
                evidence(ctx, first_seen, "calibration running"),
                evidence(ctx, done[0], "calibration complete"),
            ],
        )
        return Detection(step=step, order_time=step.end_s)
    if failed:
        detail = "the calibration failed"
    elif seen and (unread := _dialog_left_unread(ctx, seen[-1])) is not None:
        # The dialog may still have been up, read as the page under it: not complete is not
        # sure. The owner's recording is not blamed for what could not be read.
        detail = (
            f"calibration seen running at {obs[seen[-1]].time_s:.1f}s; the same screen until "
            f"{unread:.1f}s was not read as the dialog, so its completion was not seen"
        )
        step = StepResult(
            name=STEP,
            found=False,
            start_s=obs[seen[0]].time_s,
            end_s=unread,
            detail=detail,
            evidence=[evidence(ctx, seen[-1], "calibration running")],
        )
        return Detection(step=step, uncertain=[detail])
    elif seen:
        detail = "calibration started but never seen complete"
    else:
        detail = "no gimbal auto calibration"
    step = StepResult(
        name=STEP,
        found=False,
        start_s=obs[seen[0]].time_s if seen else None,
        end_s=obs[seen[-1]].time_s if seen else None,
        detail=detail,
        evidence=[evidence(ctx, i, detail) for i in (failed or seen)[-1:]],
    )
    finding = Finding(reason=Reason.GIMBAL_CALIBRATION_NOT_FOUND, message=detail, evidence=step.evidence)
    return Detection(step=step, findings=[finding])


def _dialog_left_unread(ctx: Context, last: int) -> float | None:
    """When the screen of the last calibration reading went on, read as something else, with no
    screen change in between (``Observation.continues``): the time of the last such read. None
    when the next read was of another screen: the dialog was closed before it completed."""
    obs = ctx.timeline.observations
    end: float | None = None
    for o in obs[last + 1 :]:
        if not o.continues or o.screen is ScreenKind.CALIBRATION:
            break
        end = o.time_s
    return end
