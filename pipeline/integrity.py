"""Edit detection: a continuous screen recording has a clock that only moves forward at the
pace of the video, and it never shows the same moving picture twice.

Checks: the phone's clock running backwards or jumping ahead of the video's own time, and a
moving segment repeated later (a copy-paste splice). Each finding must be confirmed by more
than one reading, since a single misread clock digit is common.
"""

from __future__ import annotations

import cv2
import numpy as np

from pipeline.models import Evidence, Finding, Reason
from pipeline.timeline import Timeline

CLOCK_SLACK_MIN = 1  # the minute can roll over between two readings
REPEAT_DIFF = 1.2  # mean abs difference (on 32x18 grey) under which two frames are "the same"
REPEAT_RUN = 4  # consecutive samples that must repeat
REPEAT_MIN_GAP_S = 2.0
MOVING = 1.0  # percent of pixels changed since the previous sample


def clock_findings(tl: Timeline) -> list[Finding]:
    readings = [(i, o.time_s, o.clock_min, o.clock_text) for i, o in enumerate(tl.observations) if o.clock_min is not None]
    findings: list[Finding] = []
    for k in range(1, len(readings)):
        _, t0, m0, txt0 = readings[k - 1]
        i1, t1, m1, txt1 = readings[k]
        dm = (m1 - m0) % (24 * 60)
        if dm > 12 * 60:
            dm -= 24 * 60  # backwards
        allowed = (t1 - t0) / 60 + CLOCK_SLACK_MIN
        if 0 <= dm <= allowed:
            continue
        # Confirm: the next reading agrees with the new clock, not the old one.
        if k + 1 < len(readings):
            _, t2, m2, _ = readings[k + 1]
            d2 = (m2 - m1) % (24 * 60)
            if not (0 <= d2 <= (t2 - t1) / 60 + CLOCK_SLACK_MIN):
                continue
        else:
            continue
        kind = "ran backwards" if dm < 0 else "jumped ahead"
        findings.append(
            Finding(
                reason=Reason.VIDEO_EDITED,
                message=f"the phone clock {kind} from {txt0} to {txt1} at {t1:.1f}s",
                time_s=round(t1, 2),
                evidence=[
                    Evidence(time_s=round(t0, 2), note=f"clock {txt0}", frame_ref=readings[k - 1][0]),
                    Evidence(time_s=round(t1, 2), note=f"clock {txt1}", frame_ref=i1),
                ],
            )
        )
        break
    return findings


def repeat_findings(tl: Timeline) -> list[Finding]:
    samples = tl.samples
    if len(samples) < REPEAT_RUN * 2:
        return []
    tiny = np.stack([cv2.resize(s.thumb, (32, 18), interpolation=cv2.INTER_AREA).astype(np.int16).ravel() for s in samples])
    times = np.array([s.time_s for s in samples])
    moving = np.array([s.change >= MOVING for s in samples])
    n = len(samples)
    for i in np.nonzero(moving)[0]:
        later = np.nonzero((times >= times[i] + REPEAT_MIN_GAP_S) & moving)[0]
        if later.size == 0:
            continue
        d = np.abs(tiny[later] - tiny[i]).mean(axis=1)
        for j in later[d < REPEAT_DIFF]:
            if j + REPEAT_RUN > n or i + REPEAT_RUN > j:
                continue
            run = [np.abs(tiny[j + k] - tiny[i + k]).mean() < REPEAT_DIFF for k in range(REPEAT_RUN)]
            if all(run) and all(moving[i + k] for k in range(REPEAT_RUN)):
                return [
                    Finding(
                        reason=Reason.VIDEO_EDITED,
                        message=f"the moving picture at {times[i]:.1f}s is shown again at {times[j]:.1f}s",
                        time_s=round(float(times[j]), 2),
                    )
                ]
    return []


def check(tl: Timeline) -> list[Finding]:
    return clock_findings(tl) + repeat_findings(tl)
