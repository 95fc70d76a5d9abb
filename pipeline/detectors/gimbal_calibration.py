"""Step 2a: the gimbal auto calibration runs to completion.

Completion is a completion message or 100 %; progress alone (a dialog left at 60 %) or a
failure message is not a completed calibration.
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
