"""The owner's status page, opened from the signed link in each e-mail (no account): the
result, the step that failed, at which second, its frame, and how to record it again.

A wrong signature answers 404 like an unknown id, so links cannot be probed. The page shows
nothing a reviewer wrote except the reason's sentence (the e-mail's words)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import HTMLResponse, Response

from web import evidence, media, reasons, submissions
from web.pages import render
from web.params import FrameIndex, SubmissionId
from web.settings import WebSettings
from workers import owner_links
from workers.models import State, SubmissionView

router = APIRouter(prefix="/status", include_in_schema=False)
Sig = Annotated[str, Path(min_length=32, max_length=32, pattern="^[0-9a-f]{32}$")]


def _settings(request: Request) -> WebSettings:
    return request.app.state.settings


def _load(request: Request, submission_id: int, sig: str) -> SubmissionView:
    secret = _settings(request).owner_secret
    if not secret or not owner_links.valid(submission_id, sig, secret):
        raise HTTPException(404, detail="no such status page")
    try:
        return submissions.get(_settings(request), submission_id)
    except submissions.NotFound as exc:
        raise HTTPException(404, detail="no such status page") from exc


def outcome(view: SubmissionView) -> str:
    """approved | rejected | in_review | in_progress | failed, as the owner sees it."""
    verdict = view.review_verdict or view.verdict
    if view.state == State.FAILED:
        return "failed"
    if view.state in (State.RECEIVED, State.QUEUED, State.FETCHING, State.ANALYSING):
        return "in_progress"
    if verdict == "needs_review" and not view.review_verdict:
        return "in_review"
    return verdict or "in_progress"


@router.get("/{submission_id}/{sig}", response_class=HTMLResponse)
def status_page(request: Request, submission_id: SubmissionId, sig: Sig) -> HTMLResponse:
    view = _load(request, submission_id, sig)
    result = outcome(view)
    model = evidence.build(view.report, media.size_of(_settings(request), view))
    codes = [view.review_reason] if view.review_verdict == "rejected" and view.review_reason else view.reasons
    failed = []
    if result == "rejected":
        for code in codes:
            step_name = reasons.REASON_STEP.get(code)
            step = next((s for s in model.steps if s.get("name") == step_name), None)
            check = next((c for c in model.checks if c.code == code), None)
            frame = (check.frame if check else None) or (
                step["frames"][0] if step and step["frames"] else None
            )
            time_s = (check.time_s if check and check.time_s is not None else None) or (
                frame.time_s if frame else (step.get("start_s") if step else None)
            )
            failed.append(
                {
                    "code": code,
                    "sentence": reasons.sentence(code),
                    "step": step["title"] if step else None,
                    "time_s": time_s,
                    "frame": frame,
                }
            )
    return render(
        request,
        "owner.html",
        None,
        s=view,
        result=result,
        failed=failed,
        steps=model.steps,
        outro=reasons.outro(),
        base=f"/status/{submission_id}/{sig}",
    )


@router.get("/{submission_id}/{sig}/frames/{index}")
def owner_frame(request: Request, submission_id: SubmissionId, sig: Sig, index: FrameIndex) -> Response:
    return media.frame_response(_settings(request), _load(request, submission_id, sig), index, request)
