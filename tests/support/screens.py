"""Observations and timelines built by hand: the detectors, the verdict and the scheduler
tested from facts and OCR lines, without a video."""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.detectors import Context
from pipeline.models import Claim
from pipeline.ocr import OcrLine
from pipeline.reading import Observation, ScreenKind
from pipeline.reading.about import AboutFacts, SerialRead
from pipeline.reading.facts import BarFacts, CalibrationFacts, CameraFacts, StatusFacts, parse_clock
from pipeline.schedule import Sample
from pipeline.templates import Template, load_templates
from pipeline.timeline import Timeline

RC_SN = "1581FB71CL0FKKSRDVPS"
AIRCRAFT_SN = "1581FMG9PPM1EK73SNK5"
THUMB_HEIGHT = 90


def template(app: str) -> Template:
    return next(t for t in load_templates() if t.app == app)


def line(
    text: str, x: int = 100, y: int = 100, w: int | None = None, h: int = 30, conf: float = 90
) -> OcrLine:
    return OcrLine(text, conf, x, y, w if w is not None else 18 * len(text), h)


def camera(
    t: float,
    *,
    satellites: int | None = 14,
    text: str | None = "Ready to Go",
    ready: bool = True,
    weak: Sequence[str] = (),
    errors: Sequence[str] = (),
    colour: str | None = "green",
    pitch: int | None = None,
    clock: str | None = None,
    app: str = "dji_go4",
) -> Observation:
    bar = BarFacts(
        text=text,
        bottom=120,
        colour=colour,
        ready=ready,
        gps_weak_words=tuple(weak),
        errors=tuple((e, line(e, y=60)) for e in errors),
        satellites=satellites,
    )
    return Observation(
        time_s=t,
        screen=ScreenKind.CAMERA,
        template=template(app),
        clock=parse_clock(clock) if clock else None,
        bar=bar,
        facts=CameraFacts(pitch),
    )


def about(
    t: float,
    *,
    rc: str | None = RC_SN,
    aircraft: str | None = AIRCRAFT_SN,
    conf: float = 91,
    labels: frozenset[str] = frozenset(),
) -> Observation:
    reads = []
    for role, value, y in (("rc", rc, 300), ("aircraft", aircraft, 200)):
        if value is not None:
            label = line("Remote Controller SN" if role == "rc" else "Aircraft SN", y=y)
            # Each About observation is a reading of its own (its own origin).
            reads.append(SerialRead(role, value, conf, label, line(value, x=900, y=y), origin=int(t * 100)))
    roles = frozenset(role for role, value in (("rc", rc), ("aircraft", aircraft)) if value is not None)
    return Observation(time_s=t, screen=ScreenKind.ABOUT, facts=AboutFacts(tuple(reads), roles | labels))


def calibration(
    t: float, *, percent: int | None = None, done: bool = False, failed: bool = False
) -> Observation:
    facts = CalibrationFacts(percent=percent, progress=percent is not None, done=done, failed=failed)
    return Observation(time_s=t, screen=ScreenKind.CALIBRATION, facts=facts)


def status(
    t: float, *, errors: Sequence[str] = (), end_seen: bool = False, warm_rows: Sequence[str] = ()
) -> Observation:
    facts = StatusFacts(
        errors=tuple((e, line(e, x=700)) for e in errors),
        warn_colour_lines=tuple(line(r, x=700) for r in warm_rows),
        end_seen=end_seen,
    )
    return Observation(time_s=t, screen=ScreenKind.STATUS_LIST, facts=facts)


def screen(t: float, kind: ScreenKind) -> Observation:
    return Observation(time_s=t, screen=kind)


def timeline(
    observations: Sequence[Observation],
    *,
    end_s: float | None = None,
    shifts: dict[float, float] | None = None,
) -> Timeline:
    """Samples every 0.25 s from 0 to ``end_s`` (default: a second after the last observation),
    each observation at its own sample; ``shifts``: vertical picture shift at given times."""
    tl = Timeline(observations=list(observations), thumb_height=THUMB_HEIGHT, frame_size=(1920, 1080))
    last = max((o.time_s for o in observations), default=0.0)
    end = end_s if end_s is not None else last + 1.0
    reads = {round(o.time_s, 2): i for i, o in enumerate(observations)}
    steps = int(round(end / 0.25))
    for k in range(steps + 1):
        t = round(k * 0.25, 2)
        shift = (shifts or {}).get(t, 0.0)
        tl.samples.append(Sample(t, change=0.5, shift_y=shift, thumb=None, observation=reads.get(t)))
    return tl


def context(
    observations: Sequence[Observation],
    *,
    app: str = "dji_go4",
    claim: Claim | None = None,
    end_s: float | None = None,
    shifts: dict[float, float] | None = None,
) -> Context:
    return Context(
        timeline=timeline(observations, end_s=end_s, shifts=shifts),
        claim=claim or Claim(rc_sn=RC_SN, aircraft_sn=AIRCRAFT_SN),
        template=template(app),
    )
