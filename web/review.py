"""The reviewer's pages: the queue of flagged submissions, one submission with its evidence,
the claim on it, and the decision form. Evidence images and the recording are served only to
logged-in users.

Messages after an action are chosen by the server from what happened (``?done=ID`` names the
decided case; the text comes from its stored review), never taken from the address; a refused
form is rendered again in place, with what was typed.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from web import audit, claims, evidence, media, reasons, submissions
from web.auth import SessionUser, check_csrf, reviewer_or_operator
from web.pages import render
from web.params import FrameIndex, OptionalId, SubmissionId
from web.settings import WebSettings
from workers.models import SubmissionView, Verdict

router = APIRouter(prefix="/review", tags=["review"], include_in_schema=False)
Reviewer = Annotated[SessionUser, Depends(reviewer_or_operator)]


def _settings(request: Request) -> WebSettings:
    return request.app.state.settings


def _load(request: Request, submission_id: int) -> SubmissionView:
    try:
        return submissions.get(_settings(request), submission_id)
    except submissions.NotFound as exc:
        raise HTTPException(404, detail=str(exc)) from exc


def awaiting(view: SubmissionView) -> bool:
    return view.awaiting_review


def next_case(settings: WebSettings, user: SessionUser, after: int | None = None) -> int | None:
    """The oldest waiting case not claimed by someone else (and not ``after``)."""
    items = [s.id for s in submissions.review_queue(settings) if s.id != after]
    held = claims.many(settings, items)
    for i in items:
        claim = held.get(i)
        if claim is None or claim.held_by(user.name):
            return i
    return None


def _done_notice(settings: WebSettings, done: int | None) -> dict[str, Any] | None:
    """The notice about a decision just recorded, built from the stored review."""
    if done is None:
        return None
    try:
        view = submissions.get(settings, done)
    except submissions.NotFound:
        return None
    if not view.review_verdict:
        return None
    text = f"Submission {view.id} {view.review_verdict} by {view.reviewer}"
    if view.review_reason:
        text += f" ({reasons.label(view.review_reason)})"
    if view.window_expires_at:
        text += f"; purchase window open until {view.window_expires_at:%Y-%m-%d %H:%M} UTC"
    return {"text": text + ".", "id": view.id}


@router.get("", response_class=HTMLResponse)
def queue(request: Request, user: Reviewer, done: OptionalId = None) -> HTMLResponse:
    settings = _settings(request)
    items = submissions.review_queue(settings)
    return render(
        request,
        "queue.html",
        user,
        items=items,
        claims=claims.many(settings, [s.id for s in items]),
        label=reasons.label,
        notice=_done_notice(settings, done),
    )


def case_page(
    request: Request,
    user: SessionUser,
    view: SubmissionView,
    status_code: int = 200,
    error: str | None = None,
    form: dict[str, str] | None = None,
    done: int | None = None,
) -> HTMLResponse:
    settings = _settings(request)
    claim = claims.get(settings, view.id)
    if awaiting(view) and claim is None:
        claim = claims.claim(settings, view.id, user.name)
        if claim is not None and claim.held_by(user.name):
            audit.record(settings, view.id, user.name, "claim")
    elif awaiting(view) and claim is not None and claim.held_by(user.name):
        claim = claims.claim(settings, view.id, user.name)
    report = view.report or {}
    return render(
        request,
        "submission.html",
        user,
        status_code,
        s=view,
        m=evidence.build(report, media.size_of(settings, view)),
        machine_verdict=report.get("verdict") or view.verdict,
        history=audit.history(settings, view.id, submissions.events(settings, view.id)),
        has_video=media.recording_key(settings, view.id) is not None,
        reasons=reasons.choices(),
        label=reasons.label,
        awaiting=awaiting(view),
        claim=claim,
        mine=claim is None or claim.held_by(user.name),
        error=error,
        form=form or {},
        notice=_done_notice(settings, done),
        next_id=next_case(settings, user, after=view.id),
    )


@router.get("/{submission_id}", response_class=HTMLResponse)
def submission_page(
    request: Request, submission_id: SubmissionId, user: Reviewer, done: OptionalId = None
) -> HTMLResponse:
    return case_page(request, user, _load(request, submission_id), done=done)


@router.post("/{submission_id}/claim", response_model=None)
def take_over(
    request: Request, submission_id: SubmissionId, user: Reviewer, csrf: Annotated[str, Form()] = ""
) -> Response:
    """Take over someone else's claim, on purpose."""
    settings = _settings(request)
    check_csrf(user, settings, csrf)
    view = _load(request, submission_id)
    if not awaiting(view):
        return case_page(request, user, view, 409, error="This case is no longer waiting for review.")
    before = claims.get(settings, submission_id)
    claims.claim(settings, submission_id, user.name, take_over=True)
    if before is None or not before.held_by(user.name):
        audit.record(
            settings, submission_id, user.name, "take_over", f"from {before.reviewer}" if before else None
        )
    return RedirectResponse(f"/review/{submission_id}", status_code=303)


@router.post("/{submission_id}/decision", response_model=None)
def decide(
    request: Request,
    submission_id: SubmissionId,
    user: Reviewer,
    verdict: Annotated[str, Form(max_length=20)],
    csrf: Annotated[str, Form()] = "",
    reason: Annotated[str, Form(max_length=64)] = "",
    comment: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    settings = _settings(request)
    check_csrf(user, settings, csrf)
    view = _load(request, submission_id)
    form = {"reason": reason, "comment": comment}
    if verdict == Verdict.REJECTED and not reason:
        return case_page(request, user, view, 422, error="Choose a reason to reject.", form=form)
    claim = claims.get(settings, submission_id)
    if awaiting(view) and claim is not None and not claim.held_by(user.name):
        error = f"{claim.reviewer} has claimed this case. Take it over to decide; your comment is kept below."
        return case_page(request, user, view, 409, error=error, form=form)
    try:
        view = submissions.record_review(
            settings, submission_id, user.name, verdict, reason or None, comment or None
        )
    except submissions.SubmissionError as exc:
        view = _load(request, submission_id)
        if view.review_verdict and view.reviewer != user.name:
            error = (
                f"Already decided: {view.review_verdict} by {view.reviewer} at "
                f"{view.reviewed_at:%Y-%m-%d %H:%M} UTC. Your decision was not recorded; "
                "your comment is kept below."
            )
            audit.record(settings, submission_id, user.name, "stale", f"{verdict}: {comment}")
        else:
            error = str(exc)
        return case_page(request, user, view, 409, error=error, form=form)
    detail = "; ".join(x for x in (reasons.label(reason) if reason else "", comment.strip()) if x)
    audit.record(settings, submission_id, user.name, verdict, detail or None)
    claims.release(settings, submission_id)
    following = next_case(settings, user, after=submission_id)
    if following is None:
        return RedirectResponse(f"/review/{submission_id}?done={submission_id}", status_code=303)
    return RedirectResponse(f"/review/{following}?done={submission_id}", status_code=303)


@router.get("/{submission_id}/frames/{index}")
def frame(request: Request, submission_id: SubmissionId, index: FrameIndex, user: Reviewer) -> Response:
    """One evidence image, only a file of this submission in the evidence store."""
    return media.frame_response(_settings(request), _load(request, submission_id), index, request)


@router.get("/{submission_id}/video")
def video(request: Request, submission_id: SubmissionId, user: Reviewer) -> Response:
    """The recording, when it is in the downloads store (supports Range)."""
    return media.recording_response(_settings(request), submission_id, request)
