"""The pipeline for one local video file: probe, read screens, detect steps, decide, report."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from pipeline import evidence as evidence_writer
from pipeline import integrity, verdict
from pipeline.detectors import ALL, Context
from pipeline.models import App, Claim, Finding, Reason, Report, Verdict
from pipeline.ocr import READ_THREADS, OcrEngine, default_engine
from pipeline.templates import Template, load_templates
from pipeline.timeline import Progress, build_timeline
from pipeline.video import UnreadableVideo, probe

MIN_FRAMES = 2


def unreadable(source: str, message: str, timings: dict[str, float] | None = None) -> Report:
    return Report(
        verdict=Verdict.REJECTED,
        reasons=[Reason.VIDEO_UNREADABLE],
        findings=[Finding(reason=Reason.VIDEO_UNREADABLE, message=message)],
        source=source,
        timings=timings or {},
    )


def _choose_template(templates: tuple[Template, ...], scores: Counter[str]) -> Template:
    return max(templates, key=lambda t: (scores.get(t.app, 0), t.app == "dji_fly"))


def analyse_file(
    path: Path,
    claim: Claim,
    *,
    evidence_dir: Path | None = None,
    progress: Progress | None = None,
    engine: OcrEngine | None = None,
    source: str | None = None,
) -> Report:
    timings: dict[str, float] = {}
    started = time.perf_counter()
    source = source or str(path)
    engine = engine or default_engine()
    engine.warm_up(READ_THREADS)  # beside the probe and the decoder's start
    try:
        info = probe(Path(path))
    except UnreadableVideo as exc:
        timings["probe"] = round((time.perf_counter() - started) * 1000, 1)
        return unreadable(source, str(exc), timings)
    timings["probe"] = round((time.perf_counter() - started) * 1000, 1)

    t = time.perf_counter()
    templates = load_templates()
    try:
        tl = build_timeline(
            Path(path),
            info.fps,
            info.frames,
            templates,
            engine,
            keep_images=evidence_dir is not None,
            progress=progress,
        )
    except UnreadableVideo as exc:  # a frame past the limits, found while decoding
        return unreadable(source, str(exc), timings)
    timings["read_screens"] = round((time.perf_counter() - t) * 1000, 1)
    if len(tl.samples) < MIN_FRAMES or info.frames < MIN_FRAMES:
        report = unreadable(source, f"only {len(tl.samples)} frame(s) could be decoded", timings)
        report.video = info
        return report

    t = time.perf_counter()
    scores: Counter[str] = Counter()
    for obs in tl.observations:
        scores.update(obs.app_scores)
    template = _choose_template(templates, scores)
    app = App(template.app) if sum(scores.values()) else App.UNKNOWN
    ctx = Context(timeline=tl, claim=claim, template=template)
    detections = [module.detect(ctx) for module in ALL]
    findings: list[Finding] = [f for d in detections for f in d.findings]
    order = verdict.order_finding(detections)
    if order:
        findings.append(order)
    edits, edit_doubts = integrity.check(tl)
    findings += edits
    uncertain = [u for d in detections for u in d.uncertain] + edit_doubts
    decided, reasons, doubts = verdict.decide(findings, uncertain, detections)
    timings["decide"] = round((time.perf_counter() - t) * 1000, 1)

    report = Report(
        verdict=decided,
        reasons=reasons,
        findings=findings,
        uncertain=doubts,
        app=app,
        source=source,
        video=info,
        steps=[d.step for d in detections],
        serials=[s for d in detections for s in d.serials],
        timings=timings,
    )
    if evidence_dir is not None:
        t = time.perf_counter()
        evidence_writer.write(report, tl, Path(evidence_dir))
        timings["evidence"] = round((time.perf_counter() - t) * 1000, 1)
    timings["total"] = round((time.perf_counter() - started) * 1000, 1)
    report.timings = timings
    if progress:
        progress(1.0, "done")
    return report
