"""The reviewer's pages: the queue of flagged submissions, one submission with its evidence,
and the decision form. Evidence images and the recording are served only to logged-in users."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

from pipeline.models import Reason, StepName
from web import submissions
from web.auth import SessionUser, check_csrf, reviewer_or_operator
from web.pages import render
from web.params import FrameIndex, SubmissionId
from web.settings import WebSettings
from workers.models import SubmissionView

router = APIRouter(prefix="/review", tags=["review"], include_in_schema=False)
Reviewer = Annotated[SessionUser, Depends(reviewer_or_operator)]

STEP_TITLES = {
    StepName.RC_SERIAL.value: "RC serial (About page)",
    StepName.GIMBAL_CALIBRATION.value: "Gimbal auto calibration",
    StepName.GIMBAL_MOVEMENT.value: "Gimbal moved up and down",
    StepName.FLIGHT_STATUS.value: "Flight status checked",
    StepName.CAMERA_VIEW.value: "Camera view with GPS ≥ 3 s",
}
REASONS = [r.value for r in Reason]


def _settings(request: Request) -> WebSettings:
    return request.app.state.settings


def _load(request: Request, submission_id: int) -> SubmissionView:
    try:
        return submissions.get(_settings(request), submission_id)
    except submissions.NotFound as exc:
        raise HTTPException(404, detail=str(exc)) from exc


def frame_paths(report: dict[str, Any] | None) -> list[str]:
    """Every evidence image of a report, in order of appearance, without repeats."""
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


def _evidence(items: list[dict[str, Any]], paths: list[str], submission_id: int) -> list[dict[str, Any]]:
    result = []
    for ev in items or []:
        image = ev.get("image")
        url = f"/review/{submission_id}/frames/{paths.index(image)}" if image in paths else None
        boxes = ev.get("boxes") or []
        result.append({**ev, "url": url, "boxes": boxes})
    return result


def page_model(view: SubmissionView) -> dict[str, Any]:
    """What the submission page shows, derived from the stored report."""
    report = view.report or {}
    paths = frame_paths(report)
    duration = float((report.get("video") or {}).get("duration_s") or 0)
    steps = []
    for step in report.get("steps") or []:
        start, end = step.get("start_s"), step.get("end_s")
        left = width = None
        if duration > 0 and start is not None:
            left = max(0.0, min(100.0, start / duration * 100))
            stop = end if end is not None else start
            width = max(0.8, min(100.0 - left, (stop - start) / duration * 100))
        steps.append(
            {
                **step,
                "title": STEP_TITLES.get(step.get("name", ""), step.get("name", "")),
                "left": left,
                "width": width,
                "evidence": _evidence(step.get("evidence") or [], paths, view.id),
            }
        )
    findings = [
        {**f, "evidence": _evidence(f.get("evidence") or [], paths, view.id)}
        for f in report.get("findings") or []
    ]
    return {
        "report": report,
        "duration": duration,
        "steps": steps,
        "findings": findings,
        "serials": report.get("serials") or [],
        "frame_count": len(paths),
    }


@router.get("", response_class=HTMLResponse)
def queue(request: Request, user: Reviewer) -> HTMLResponse:
    items = submissions.review_queue(_settings(request))
    return render(request, "queue.html", user, items=items)


@router.get("/{submission_id}", response_class=HTMLResponse)
def submission_page(request: Request, submission_id: SubmissionId, user: Reviewer) -> HTMLResponse:
    settings = _settings(request)
    view = _load(request, submission_id)
    has_video = submissions.video_file(settings, submission_id) is not None
    return render(
        request,
        "submission.html",
        user,
        s=view,
        m=page_model(view),
        events=submissions.events(settings, submission_id),
        has_video=has_video,
        reasons=REASONS,
        awaiting=view.state.value == "decided" and view.verdict == "needs_review",
        message=request.query_params.get("msg"),
    )


@router.post("/{submission_id}/decision")
def decide(
    request: Request,
    submission_id: SubmissionId,
    user: Reviewer,
    verdict: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    comment: Annotated[str, Form(max_length=4000)] = "",
) -> RedirectResponse:
    settings = _settings(request)
    check_csrf(user, settings, csrf)
    if verdict == "rejected" and not reason:
        return RedirectResponse(
            f"/review/{submission_id}?msg=A+rejection+needs+a+reason+code", status_code=303
        )
    try:
        view = submissions.record_review(
            settings, submission_id, user.name, verdict, reason or None, comment or None
        )
    except submissions.NotFound as exc:
        raise HTTPException(404, detail=str(exc)) from exc
    except submissions.SubmissionError as exc:
        return RedirectResponse(f"/review/{submission_id}?msg={_quote(str(exc))}", status_code=303)
    text = f"Recorded: {view.review_verdict} by {view.reviewer}"
    if view.window_expires_at:
        text += f"; purchase window open until {view.window_expires_at:%Y-%m-%d %H:%M} UTC"
    return RedirectResponse(f"/review/{submission_id}?msg={_quote(text)}", status_code=303)


def _quote(text: str) -> str:
    from urllib.parse import quote_plus

    return quote_plus(text[:300])


@router.get("/{submission_id}/frames/{index}")
def frame(request: Request, submission_id: SubmissionId, index: FrameIndex, user: Reviewer) -> FileResponse:
    """One evidence JPEG, only from inside the evidence directory."""
    view = _load(request, submission_id)
    paths = frame_paths(view.report)
    if not 0 <= index < len(paths):
        raise HTTPException(404, detail="no such frame")
    root = _settings(request).evidence_dir.resolve()
    path = Path(paths[index]).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise HTTPException(404, detail="frame not available")
    return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})


@router.get("/{submission_id}/video")
def video(request: Request, submission_id: SubmissionId, user: Reviewer) -> FileResponse:
    """The recording, when it is a local file in the work directory (supports Range)."""
    path = submissions.video_file(_settings(request), submission_id)
    if path is None:
        raise HTTPException(404, detail="the recording is not available here")
    return FileResponse(path, headers={"Cache-Control": "private, no-store"})
