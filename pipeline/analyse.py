"""The pipeline for one local video file: probe, read screens, detect steps, decide, report."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from types import MappingProxyType

from pipeline import evidence as evidence_writer
from pipeline import verdict
from pipeline.continuity import check as continuity
from pipeline.detectors import ALL, Context, Detection
from pipeline.models import UNKNOWN_APP, Claim, Evidence, Finding, Reason, Report, StepName, Verdict
from pipeline.ocr import READ_THREADS, OcrEngine, default_engine
from pipeline.templates import Template, load_templates
from pipeline.timeline import Progress, Timeline, build_timeline, side_pool
from pipeline.video import UnreadableVideo, probe

MIN_FRAMES = 2
UNKNOWN_LANGUAGE = "UI language not recognised: the screens hold text, but no template's words"


def unreadable(source: str, message: str, timings: dict[str, float] | None = None) -> Report:
    return Report(
        verdict=Verdict.REJECTED,
        reasons=[Reason.VIDEO_UNREADABLE],
        findings=[Finding(reason=Reason.VIDEO_UNREADABLE, message=message)],
        source=source,
        timings=timings or {},
    )


def _choose_template(templates: tuple[Template, ...], scores: Counter[str], language: str = "en") -> Template:
    """Of the UI language's templates, the one whose app markers were read most often; ties go
    to the higher priority."""
    fitting = tuple(t for t in templates if t.language == language) or templates
    return max(fitting, key=lambda t: (scores.get(t.app, 0), t.priority))


def _unknown_pages(tl: Timeline, times: list[float]) -> list[Evidence]:
    """The frames of the pages whose words no template knew: what a reviewer looks at."""
    return [
        Evidence(time_s=o.time_s, note="words no template knows", frame_ref=i)
        for i, o in enumerate(tl.observations)
        if o.time_s in times
    ]


def _language_unknown(report: Report, tried: list[str]) -> Report:
    """The screens look like the app, but no template knows their words: every step would be
    "not found", none of it true. Nothing is claimed; a person looks."""
    message = UNKNOWN_LANGUAGE + (f" (read with {', '.join(['eng', *tried])})" if tried else "")
    return report.model_copy(
        update={"verdict": Verdict.NEEDS_REVIEW, "reasons": [], "findings": [], "uncertain": [message]}
    )


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
        with side_pool() as pool:
            tl = build_timeline(
                Path(path),
                info.fps,
                info.frames,
                templates,
                engine,
                keep_images=evidence_dir is not None,
                progress=progress,
                pool=pool,
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
    language = tl.language
    settled = language.settled if language is not None else None
    template = _choose_template(templates, scores, settled or "en")
    app = template.app if sum(scores.values()) else UNKNOWN_APP
    ctx = Context(timeline=tl, claim=claim, template=template)
    by_step: dict[StepName, Detection] = {}
    for module in ALL:  # in the required order: each sees the detections before it
        by_step[module.STEP] = module.detect(ctx, MappingProxyType(dict(by_step)))
    detections = list(by_step.values())
    findings: list[Finding] = [f for d in detections for f in d.findings]
    findings, unread = verdict.unread_pages_doubt(findings, language.unknown_pages if language else 0)
    found = [d.step for d in detections if d.step.found and d.step.start_s is not None]
    span = (
        (min(s.start_s or 0.0 for s in found), max(s.end_s or s.start_s or 0.0 for s in found))
        if found
        else None
    )
    seen = continuity.check(tl, Path(path), span)
    uncertain = [u for d in detections for u in d.uncertain] + seen.doubts + unread
    order = verdict.order_finding(detections)
    if order and seen.findings:
        # A proven cut explains the order it produced: told apart, the order is not sure.
        uncertain.append(f"{order.message}, in an edited recording")
    elif order:
        findings.append(order)
    findings += seen.findings
    decided, reasons, doubts = verdict.decide(findings, uncertain, detections)
    timings["decide"] = round((time.perf_counter() - t) * 1000, 1)

    report = Report(
        verdict=decided,
        reasons=reasons,
        findings=findings,
        uncertain=doubts,
        app=app,
        language=settled or "",
        source=source,
        video=info,
        steps=[d.step for d in detections],
        serials=[s for d in detections for s in d.serials],
        continuity=[f.text for f in seen.followed],
        timings=timings,
    )
    if language is not None and language.unrecognised:
        report = _language_unknown(report, language.tried)
    if language is not None and (language.unrecognised or unread):
        report.doubt_evidence = _unknown_pages(tl, language.unknown_times)
    if evidence_dir is not None:
        t = time.perf_counter()
        evidence_writer.write(report, tl, Path(evidence_dir))
        timings["evidence"] = round((time.perf_counter() - t) * 1000, 1)
    timings["total"] = round((time.perf_counter() - started) * 1000, 1)
    report.timings = timings
    if progress:
        progress(1.0, "done")
    return report
