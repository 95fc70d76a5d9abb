"""Edit detection: a continuous screen recording has a clock that only moves forward at the
pace of the video, and it never shows the same moving picture twice.

Checks: the phone's clock running backwards or jumping ahead of the video's own time (an edit),
and a moving segment repeated later (maybe a copy-paste splice, a question for a reviewer).
Each finding must be confirmed by more than one reading, since a single misread clock digit
is common.
"""

from __future__ import annotations

import numpy as np

from pipeline.models import Evidence, Finding, OcrBox, Reason
from pipeline.timeline import Timeline

CLOCK_SLACK_MIN = 1  # the minute can roll over between two readings
REPEAT_DIFF = 1.2  # mean abs difference (on 32x18 grey) under which two frames are "the same"
REPEAT_RUN = 5  # consecutive samples that must repeat
REPEAT_MOTION_SHARE = 0.1  # of the motion between two samples, tolerated as sampling phase
REPEAT_MIN_GAP_S = 2.0
MOVING_TINY = 3.0  # mean grey change per sample on the 32x18 thumbnail that counts as motion


def _consistent(a: tuple[int, float, int, str | None], b: tuple[int, float, int, str | None]) -> bool:
    """Whether reading b can follow reading a on an unedited clock: never backwards, and no
    further ahead than the video time between them (plus a minute rollover)."""
    dm = _wrap(b[2] - a[2])
    return 0 <= dm <= (b[1] - a[1]) / 60 + CLOCK_SLACK_MIN


def clock_findings(tl: Timeline) -> list[Finding]:
    """A misread digit is a lone reading whose neighbours agree with each other without it; it is
    dropped. Any other step between two readings that the clock cannot take is an edit."""
    readings = [
        (i, o.time_s, o.clock.minutes, o.clock.text)
        for i, o in enumerate(tl.observations)
        if o.clock is not None
    ]
    kept = [
        r
        for k, r in enumerate(readings)
        if not (
            0 < k < len(readings) - 1
            and _consistent(readings[k - 1], readings[k + 1])
            and not (_consistent(readings[k - 1], r) and _consistent(r, readings[k + 1]))
        )
    ]
    for a, b in zip(kept, kept[1:], strict=False):
        if _consistent(a, b):
            continue
        kind = "ran backwards" if _wrap(b[2] - a[2]) < 0 else "jumped ahead"
        return [
            Finding(
                reason=Reason.VIDEO_EDITED,
                message=f"the phone clock {kind} from {a[3]} to {b[3]} between {a[1]:.1f}s and {b[1]:.1f}s",
                time_s=round(b[1], 2),
                evidence=[
                    _clock_evidence(tl, a[0], a[1], a[3]),
                    _clock_evidence(tl, b[0], b[1], b[3]),
                ],
            )
        ]
    return []


MINUTE_S = 60.0
MINUTE_TOLERANCE_S = 3.0  # a clock read late or early by a sample, and a phone's own jitter


def minute_findings(tl: Timeline) -> list[Finding]:
    """A minute of the phone clock that lasted clearly less or more than a minute of video.

    Between the last reading of minute m-1 and the first of minute m+1, minute m was shown
    whole: it cannot have lasted longer than that, nor shorter than from its own first to its
    last reading. A stretch played fast (a long calibration fast-forwarded) makes a minute
    short; a stretch shown twice or slowed makes it long. Each bounding reading must be
    confirmed by its neighbour showing the same minute: one misread digit proves nothing."""
    readings = [
        (i, o.time_s, o.clock.minutes, o.clock.text) for i, o in enumerate(tl.observations) if o.clock
    ]
    runs: list[list[tuple[int, float, int, str]]] = []
    for r in readings:
        if runs and runs[-1][-1][2] == r[2]:
            runs[-1].append(r)
        else:
            runs.append([r])
    for before, run, after in zip(runs, runs[1:], runs[2:], strict=False):
        if not (_wrap(run[0][2] - before[-1][2]) == 1 and _wrap(after[0][2] - run[-1][2]) == 1):
            continue  # not three consecutive minutes
        if len(before) < 2 or len(after) < 2:
            continue  # a bound resting on one reading
        longest = after[0][1] - before[-1][1]
        shortest = run[-1][1] - run[0][1]
        if longest < MINUTE_S - MINUTE_TOLERANCE_S:
            how, span = "lasted at most", longest
        elif len(run) >= 2 and shortest > MINUTE_S + MINUTE_TOLERANCE_S:
            how, span = "lasted at least", shortest
        else:
            continue
        a, b = before[-1], after[0]
        return [
            Finding(
                reason=Reason.VIDEO_EDITED,
                message=f"the phone clock's minute {run[0][3]} {how} {span:.0f}s of video "
                f"(from {a[1]:.1f}s to {b[1]:.1f}s): the recording was sped up, slowed or cut",
                time_s=round(run[0][1], 2),
                evidence=[
                    _clock_evidence(tl, a[0], a[1], a[3]),
                    _clock_evidence(tl, run[0][0], run[0][1], run[0][3]),
                    _clock_evidence(tl, b[0], b[1], b[3]),
                ],
            )
        ]
    return []


def _clock_evidence(tl: Timeline, index: int, time_s: float, text: str) -> Evidence:
    """A frame a clock finding relies on, with the clock boxed as it was read."""
    clock = tl.observations[index].clock
    boxes = []
    if clock is not None and clock.line is not None:
        x = clock.line
        boxes = [OcrBox(text=x.text, confidence=round(x.confidence, 1), x=x.x, y=x.y, w=x.w, h=x.h)]
    return Evidence(time_s=round(time_s, 2), note=f"clock {text}", frame_ref=index, boxes=boxes)


def _wrap(minutes: float) -> float:
    """A difference of clock minutes, across midnight, in -720..720."""
    return (minutes + 720) % 1440 - 720


def repeat_findings(tl: Timeline) -> list[Finding]:
    """A moving stretch shown again later, in the same order. Samples of the copy fall up to half
    a sample interval away from those of the original, so "the same" is judged against how much
    the picture moves from one sample to the next."""
    samples = tl.samples
    if len(samples) < REPEAT_RUN * 2:
        return []
    tiny = np.stack([s.tiny.astype(np.float32).ravel() for s in samples if s.tiny is not None])
    if len(tiny) != len(samples):
        return []
    times = np.array([s.time_s for s in samples])
    step = np.r_[0.0, np.abs(np.diff(tiny, axis=0)).mean(axis=1)]  # motion per sample
    moving = step >= MOVING_TINY
    n = len(samples)

    def same(j: int, i: int) -> bool:
        # Near-identical only: a second tilt over the same range of a still scene looks much the
        # same at four samples a second, and a false "edited" costs an honest owner their plan.
        d = min(np.abs(tiny[j] - tiny[i]).mean(), np.abs(tiny[j] - tiny[i + 1]).mean())
        return d < REPEAT_DIFF + REPEAT_MOTION_SHARE * float(step[i + 1])

    for i in range(1, n - REPEAT_RUN - 1):
        if not moving[i : i + REPEAT_RUN].all():
            continue
        later = np.nonzero(times >= times[i] + REPEAT_MIN_GAP_S)[0]
        for j in later[later + REPEAT_RUN <= n]:
            if all(same(j + k, i + k) for k in range(REPEAT_RUN)):
                return [
                    Finding(
                        reason=Reason.VIDEO_EDITED,
                        message=f"the moving picture at {times[i]:.1f}s is shown again at {times[j]:.1f}s",
                        time_s=round(float(times[j]), 2),
                        evidence=[
                            _evidence_near(tl, float(times[i]), "original"),
                            _evidence_near(tl, float(times[j]), "copy"),
                        ],
                    )
                ]
    return []


def _evidence_near(tl: Timeline, t: float, note: str) -> Evidence:
    """The observation nearest to ``t``: only observed frames are kept as images."""
    index = min(range(len(tl.observations)), key=lambda k: abs(tl.observations[k].time_s - t), default=None)
    at = tl.observations[index].time_s if index is not None else t
    return Evidence(time_s=round(at, 2), note=f"{note} ({t:.1f}s)", frame_ref=index)


def check(tl: Timeline) -> tuple[list[Finding], list[str]]:
    """Findings that reject, and doubts for a reviewer.

    A clock that cannot have run is proof of an edit. A repeated moving picture alone is not:
    a gimbal tilted down and up twice over a still scene shows the same frames again, so it is
    passed to a reviewer with its times instead of rejecting an honest owner."""
    clock = clock_findings(tl) or minute_findings(tl)
    doubts = []
    if not clock:
        doubts = [f"possible splice: {f.message}" for f in repeat_findings(tl)]
    return clock, doubts
