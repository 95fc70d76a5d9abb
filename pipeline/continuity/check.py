"""Continuity as a requirement: which signals followed the recording, over which spans, and what
breaks them.

An unedited take keeps many things continuous, each with its own tolerance: the phone clock
(``integrity``), the battery levels (``counters``), the live scene in every camera view
(``scene``), the drone's name on the About page, the frame times and the file's own tags
(``stream``). What only an edit can produce, confirmed by more than one reading, is proof
(``video_edited``); what an honest recording can also produce is a doubt for a reviewer. A
stretch between the first step and the last in which no signal could be followed is a doubt
too: a cut could hide there, and "could not tell" is never an approval.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import integrity
from pipeline.continuity import counters, names, scene, stream
from pipeline.models import Evidence, Finding, Reason
from pipeline.reading import ScreenKind
from pipeline.timeline import Timeline

AIRCRAFT_BATTERY = counters.Rule("aircraft battery")
PHONE_BATTERY = counters.Rule("phone battery")
MAX_BLIND_S = 30.0  # longest stretch with no continuity signal before it is a doubt
SIGNAL_GAP_S = 20.0  # readings of one signal further apart than this do not follow what is between
EDGE_S = 0.4  # seconds at each end of a camera segment left out of the scene check (transitions)
TILT_SHARE = 0.08  # of the picture height: a view shifted further by the gimbal is not compared


@dataclass(frozen=True)
class Followed:
    signal: str
    spans: tuple[tuple[float, float], ...]

    @property
    def text(self) -> str:
        return f"{self.signal}: " + ", ".join(f"{a:.1f}-{b:.1f}s" for a, b in self.spans)


@dataclass
class Continuity:
    findings: list[Finding] = field(default_factory=list)
    doubts: list[str] = field(default_factory=list)
    followed: list[Followed] = field(default_factory=list)


def _nearest(tl: Timeline, t: float) -> int | None:
    obs = tl.observations
    return min(range(len(obs)), key=lambda k: abs(obs[k].time_s - t), default=None)


def _evidence(tl: Timeline, t: float, note: str) -> Evidence:
    index = _nearest(tl, t)
    at = tl.observations[index].time_s if index is not None else t
    return Evidence(time_s=round(at, 2), note=note, frame_ref=index)


def camera_segments(tl: Timeline) -> list[scene.Segment]:
    """Runs of camera-view observations, each with the scene pictures taken inside it."""
    obs = tl.observations
    end_of_video = tl.samples[-1].time_s if tl.samples else 0.0
    segments: list[scene.Segment] = []
    i = 0
    while i < len(obs):
        if obs[i].screen is not ScreenKind.CAMERA:
            i += 1
            continue
        j = i
        while j + 1 < len(obs) and obs[j + 1].screen is ScreenKind.CAMERA:
            j += 1
        start = obs[i].start_s
        end = obs[j + 1].start_s if j + 1 < len(obs) else end_of_video
        level = _level_times(tl, start, end)
        views = tuple(
            scene.View(t, pic) for t, pic in tl.scenes if start + EDGE_S <= t <= end - EDGE_S and level(t)
        )
        segments.append(scene.Segment(start, end, views))
        i = j + 1
    return segments


def _level_times(tl: Timeline, start: float, end: float) -> Callable[[float], bool]:
    """Whether the gimbal is near where it was at ``start``: the picture's vertical shift summed
    since then stays small. A view tilted far down shows another part of the same place, which
    no shift search of a picture's middle can match; such views are left out."""
    offsets: list[tuple[float, float]] = []
    total = 0.0
    for s in tl.samples:
        if start <= s.time_s <= end:
            total += s.shift_y
            offsets.append((s.time_s, total))
    limit = TILT_SHARE * max(1, tl.thumb_height)

    def level(t: float) -> bool:
        before = [o for at, o in offsets if at <= t]
        return abs(before[-1]) <= limit if before else True

    return level


def _scene(tl: Timeline, out: Continuity) -> None:
    segments = camera_segments(tl)
    if len(segments) < 2:
        return
    result = scene.check(segments)
    if result.followed:
        out.followed.append(Followed("live scene", result.followed))
    for k in result.other_place:
        seg = segments[k]
        others = [s for i, s in enumerate(segments) if i != k and s.views]
        before = max((s for s in others if s.end_s <= seg.start_s), key=lambda s: s.end_s, default=others[0])
        out.findings.append(
            Finding(
                reason=Reason.VIDEO_EDITED,
                message=f"the camera view at {seg.start_s:.1f}-{seg.end_s:.1f}s shows another place than "
                f"the camera view at {before.start_s:.1f}-{before.end_s:.1f}s (best match "
                f"{result.best[k]:.2f} on {len(seg.views)} views)",
                time_s=round(seg.start_s, 2),
                evidence=[
                    _evidence(tl, before.views[-1].time_s, "one place"),
                    _evidence(tl, seg.views[0].time_s, "another place"),
                ],
            )
        )
        break  # one proof is enough; the others say the same


def _levels(tl: Timeline, out: Continuity) -> None:
    series = {
        AIRCRAFT_BATTERY: [
            counters.Reading(o.time_s, o.top.battery, i, o.top.battery_reads)
            for i, o in enumerate(tl.observations)
            if o.top.battery is not None
        ],
        PHONE_BATTERY: [
            counters.Reading(o.time_s, o.phone_battery, i)
            for i, o in enumerate(tl.observations)
            if o.phone_battery is not None
        ],
    }
    for rule, readings in series.items():
        spans = counters.spans(readings, SIGNAL_GAP_S)
        if spans:
            out.followed.append(Followed(rule.name, tuple(spans)))
        proven = counters.breaks(readings, rule)
        for dip in counters.dips(readings, rule)[:1]:
            out.doubts.append(
                f"the {rule.name} read {dip.before.value}% from {dip.before.first.time_s:.1f}s to "
                f"{dip.before.last.time_s:.1f}s, {dip.after.value}% before and after it"
            )
        if not proven:
            for lone, run in counters.lone_rises(readings, rule)[:1]:
                out.doubts.append(
                    f"the {rule.name} read {lone.value}% once at {lone.time_s:.1f}s, then "
                    f"{run.value}% from {run.first.time_s:.1f}s: a battery does not charge"
                )
        for br in proven[:1]:
            out.findings.append(
                Finding(
                    reason=Reason.VIDEO_EDITED,
                    message=br.message + " with no charging in between",
                    time_s=round(br.after.first.time_s, 2),
                    evidence=[
                        Evidence(
                            time_s=round(br.before.last.time_s, 2),
                            note=f"{br.before.value}%",
                            frame_ref=br.before.last.frame,
                        ),
                        Evidence(
                            time_s=round(br.after.first.time_s, 2),
                            note=f"{br.after.value}%",
                            frame_ref=br.after.first.frame,
                        ),
                    ],
                )
            )


def _names(tl: Timeline, out: Continuity) -> None:
    """The drone's name, where the About page shows it more than once, must stay the same."""
    reads = [
        names.NameRead(i, o.time_s, " ".join(o.device_name.split()))
        for i, o in enumerate(tl.observations)
        if o.device_name
    ]
    result = names.check(reads)
    if result.finding is not None:
        out.findings.append(result.finding)
    if result.doubt is not None:
        out.doubts.append(result.doubt)
    if result.spans:
        out.followed.append(Followed("device name", result.spans))


def _clock_spans(tl: Timeline) -> tuple[tuple[float, float], ...]:
    times = [o.time_s for o in tl.observations if o.clock is not None]
    spans: list[tuple[float, float]] = []
    for t in times:
        if spans and t - spans[-1][1] <= SIGNAL_GAP_S:
            spans[-1] = (spans[-1][0], t)
        else:
            spans.append((t, t))
    return tuple(spans)


def _blind(out: Continuity, start: float, end: float) -> None:
    """Stretches between ``start`` and ``end`` that no signal followed."""
    covered = sorted(span for f in out.followed for span in f.spans)
    t = start
    for a, b in covered:
        if a - t > MAX_BLIND_S and a <= end:
            out.doubts.append(f"no continuity signal could be followed from {t:.1f}s to {a:.1f}s")
            return
        t = max(t, b)
    if end - t > MAX_BLIND_S:
        out.doubts.append(f"no continuity signal could be followed from {t:.1f}s to {end:.1f}s")


def check(
    tl: Timeline, path: Path | None = None, steps_span: tuple[float, float] | None = None
) -> Continuity:
    out = Continuity()
    edits, doubts = integrity.check(tl)
    out.findings += edits
    out.doubts += doubts
    clock = _clock_spans(tl)
    if clock:
        out.followed.append(Followed("phone clock", clock))
    _scene(tl, out)
    _levels(tl, out)
    _names(tl, out)
    gaps = stream.frame_gaps([s.time_s for s in tl.samples])
    if gaps:
        g = gaps[0]
        out.doubts.append(f"no frames from {g.start_s:.1f}s to {g.end_s:.1f}s")
    if path is not None:
        editors = stream.editors_named(stream.container_tags(path))
        if editors:
            out.doubts.append("the file was written by a video editor (" + "; ".join(editors[:2]) + ")")
    if steps_span is not None and not out.findings:
        _blind(out, *steps_span)
    return out
