"""What a submission page shows, derived from the stored pipeline report: evidence first.

Every reason gets its own card with the frame behind it (the finding's own frame, else the
frame of the step the reason is about, nearest to the finding's time); weak or missing steps
follow; every other frame comes once after. OCR boxes become labelled overlays (positions in
per cent of the image, so they scale with it), repeated reads of one text are kept once, and
serials read vs expected are split into runs of equal and differing characters.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from pipeline.models import StepName
from web import reasons

STEP_TITLES = {
    StepName.RC_SERIAL.value: "RC serial (About page)",
    StepName.GIMBAL_CALIBRATION.value: "Gimbal auto calibration",
    StepName.GIMBAL_MOVEMENT.value: "Gimbal moved up and down",
    StepName.FLIGHT_STATUS.value: "Flight status checked",
    StepName.CAMERA_VIEW.value: "Camera view with GPS ≥ 3 s",
}
SizeOf = Callable[[str], "tuple[int, int] | None"]  # an image's (width, height) from its name
WEAK_STEP = 0.75  # a found step below this confidence is shown as something to check


@dataclass
class Frame:
    index: int  # the n of /review/{id}/frames/{n}
    time_s: float
    title: str
    note: str
    boxes: list[dict[str, Any]]  # text, confidence (None when unknown), left/top/width/height %
    reads: list[dict[str, Any]]  # text, confidence: each OCR text once, best confidence
    width: int = 16  # the image's size (its aspect ratio sizes the viewer)
    height: int = 9


@dataclass
class Check:
    """One thing the reviewer should look at: a reason, an uncertainty or a weak step."""

    kind: str  # reason | uncertain | step
    code: str | None
    label: str
    message: str
    time_s: float | None
    frame: Frame | None
    more: list[Frame] = field(default_factory=list)  # the finding's other frames (a clock jump's before)


@dataclass
class PageModel:
    report: dict[str, Any]
    duration: float
    steps: list[dict[str, Any]]
    checks: list[Check]
    frames: list[Frame]  # every frame once, checks' frames first
    serials: list[dict[str, Any]]
    marks: list[dict[str, Any]] = field(default_factory=list)  # timeline marks of the checks


def frame_paths(report: dict[str, Any] | None) -> list[str]:
    """Every evidence image of a report, in order of appearance, without repeats (the frame
    URLs index this list, so its order must not change)."""
    paths: list[str] = []
    if not report:
        return paths
    groups = [s.get("evidence") or [] for s in report.get("steps") or []]
    groups += [f.get("evidence") or [] for f in report.get("findings") or []]
    for group in groups:
        for ev in group:
            image = ev.get("image")
            if image and image not in paths:
                paths.append(image)
    return paths


def _image_size(path: str) -> tuple[int, int] | None:
    try:
        with Image.open(path) as img:
            return img.size
    except (OSError, ValueError):
        return None


def _frame(ev: dict[str, Any], paths: list[str], title: str, size_of: SizeOf) -> Frame | None:
    image = ev.get("image")
    if image not in paths:
        return None
    size = size_of(image)
    boxes, best = [], {}
    for b in ev.get("boxes") or []:
        text = str(b.get("text") or "").strip()
        conf = b.get("confidence")
        conf = float(conf) if isinstance(conf, int | float) and conf > 0 else None
        if text and (text not in best or (conf or 0) > (best[text] or 0)):
            best[text] = conf
        if size and all(isinstance(b.get(k), int | float) for k in "xywh") and b.get("w") and b.get("h"):
            w, h = size
            boxes.append(
                {
                    "text": text,
                    "confidence": conf,
                    "left": b["x"] / w * 100,
                    "top": b["y"] / h * 100,
                    "width": b["w"] / w * 100,
                    "height": b["h"] / h * 100,
                }
            )
    reads = [{"text": t, "confidence": c} for t, c in best.items()]
    return Frame(
        index=paths.index(image),
        time_s=float(ev.get("time_s") or 0),
        title=title,
        note=str(ev.get("note") or ""),
        boxes=boxes,
        reads=reads,
        width=size[0] if size else 16,
        height=size[1] if size else 9,
    )


def serial_runs(
    read: str | None, expected: str | None
) -> tuple[list[tuple[str, bool]], list[tuple[str, bool]]]:
    """(read runs, expected runs): each a list of (text, differs) so the page can mark the
    characters that differ."""
    read, expected = read or "", expected or ""
    if not read or not expected:
        return [(read, False)] if read else [], [(expected, False)] if expected else []
    a, b = [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, read, expected, autojunk=False).get_opcodes():
        same = op == "equal"
        if i2 > i1:
            a.append((read[i1:i2], not same))
        if j2 > j1:
            b.append((expected[j1:j2], not same))
    return a, b


def _nearest(frames: list[Frame], time_s: float | None) -> Frame | None:
    if not frames:
        return None
    if time_s is None:
        return frames[0]
    return min(frames, key=lambda f: abs(f.time_s - time_s))


def build(report: dict[str, Any] | None, size_of: SizeOf | None = None) -> PageModel:
    """The page of a report; ``size_of`` gives a frame's image size from its name in the
    report (``web.media.size_of`` reads it through the storage; by default, a local path)."""
    size_of = size_of or _image_size
    report = report or {}
    paths = frame_paths(report)
    duration = float((report.get("video") or {}).get("duration_s") or 0)
    by_step: dict[str, list[Frame]] = {}
    steps = []
    for step in report.get("steps") or []:
        name = step.get("name", "")
        title = STEP_TITLES.get(name, name)
        frames = [f for ev in step.get("evidence") or [] if (f := _frame(ev, paths, title, size_of))]
        by_step[name] = frames
        start, end = step.get("start_s"), step.get("end_s")
        left = width = None
        if duration > 0 and start is not None:
            left = max(0.0, min(100.0, start / duration * 100))
            stop = end if end is not None else start
            width = max(0.8, min(100.0 - left, (stop - start) / duration * 100))
        steps.append({**step, "title": title, "left": left, "width": width, "frames": frames})

    checks: list[Check] = []
    covered: set[str] = set()
    for f in report.get("findings") or []:
        code = f.get("reason")
        label = reasons.label(code)
        own = [fr for ev in f.get("evidence") or [] if (fr := _frame(ev, paths, label, size_of))]
        frame = (
            own[0] if own else _nearest(by_step.get(reasons.REASON_STEP.get(code, ""), []), f.get("time_s"))
        )
        checks.append(
            Check(
                "reason", code, reasons.label(code), f.get("message") or "", f.get("time_s"), frame, own[1:]
            )
        )
        covered.add(code)
        if code in reasons.REASON_STEP:
            covered.add(reasons.REASON_STEP[code])
    for code in report.get("reasons") or []:
        if code not in covered:
            step = reasons.REASON_STEP.get(code, "")
            checks.append(
                Check("reason", code, reasons.label(code), "", None, _nearest(by_step.get(step, []), None))
            )
            covered |= {code, step}
    for text in report.get("uncertain") or []:
        checks.append(Check("uncertain", None, "Uncertain", text, None, None))
    for step in steps:
        weak = not step.get("found") or float(step.get("confidence") or 0) < WEAK_STEP
        if weak and step.get("name") not in covered:
            status = "missing" if not step.get("found") else f"low confidence {float(step['confidence']):.0%}"
            frame = step["frames"][0] if step["frames"] else None
            checks.append(Check("step", step.get("name"), step["title"], status, step.get("start_s"), frame))

    frames: list[Frame] = []
    seen: set[int] = set()
    firsts = [fr for c in checks for fr in ([c.frame] if c.frame else []) + c.more]
    for fr in firsts + [fr for s in steps for fr in s["frames"]]:
        if fr.index not in seen:
            seen.add(fr.index)
            frames.append(fr)

    serials = []
    for c in report.get("serials") or []:
        read_runs, expected_runs = serial_runs(c.get("read"), c.get("expected"))
        serials.append({**c, "read_runs": read_runs, "expected_runs": expected_runs})

    marks = []
    if duration > 0:
        for c in checks:
            t = c.time_s if c.time_s is not None else (c.frame.time_s if c.frame else None)
            if t is not None and c.kind == "reason":
                marks.append(
                    {"left": max(0.0, min(100.0, t / duration * 100)), "time_s": t, "label": c.label}
                )
    return PageModel(report, duration, steps, checks, frames, serials, marks)
