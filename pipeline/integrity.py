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
    """The clock's offset from video time (clock minutes minus elapsed minutes) is constant in
    an unedited recording. Readings are grouped into runs of a constant offset; a run of one
    reading is a misread digit and dropped; two runs left with different offsets are an edit."""
    readings = [
        (i, o.time_s, o.clock_min, o.clock_text)
        for i, o in enumerate(tl.observations)
        if o.clock_min is not None
    ]
    runs: list[list[tuple[int, float, int, str | None, float]]] = []
    for i, t, m, text in readings:
        offset = m - t / 60
        if runs and abs(_wrap(offset - runs[-1][-1][4])) <= CLOCK_SLACK_MIN + 0.05:
            runs[-1].append((i, t, m, text, offset))
        else:
            runs.append([(i, t, m, text, offset)])
    if len(readings) >= 3:
        runs = [r for r in runs if len(r) >= 2]
    merged: list[list[tuple[int, float, int, str | None, float]]] = []
    for run in runs:
        if merged and abs(_wrap(run[0][4] - merged[-1][-1][4])) <= CLOCK_SLACK_MIN + 0.05:
            merged[-1].extend(run)
        else:
            merged.append(list(run))
    for before, after in zip(merged, merged[1:], strict=False):
        a, b = before[-1], after[0]
        kind = "ran backwards" if _wrap(b[4] - a[4]) < 0 else "jumped ahead"
        return [
            Finding(
                reason=Reason.VIDEO_EDITED,
                message=f"the phone clock {kind} from {a[3]} to {b[3]} between {a[1]:.1f}s and {b[1]:.1f}s",
                time_s=round(b[1], 2),
                evidence=[
                    Evidence(time_s=round(a[1], 2), note=f"clock {a[3]}", frame_ref=a[0]),
                    Evidence(time_s=round(b[1], 2), note=f"clock {b[3]}", frame_ref=b[0]),
                ],
            )
        ]
    return []


def _wrap(minutes: float) -> float:
    """A difference of clock minutes, across midnight, in -720..720."""
    return (minutes + 720) % 1440 - 720


def repeat_findings(tl: Timeline) -> list[Finding]:
    samples = tl.samples
    if len(samples) < REPEAT_RUN * 2:
        return []
    tiny = np.stack(
        [
            cv2.resize(s.thumb, (32, 18), interpolation=cv2.INTER_AREA).astype(np.int16).ravel()
            for s in samples
        ]
    )
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
