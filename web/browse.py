"""All submissions, not only the queue: a searchable list for reviewers and operators, and
the operator's reopening of a machine rejection (with the reason recorded). Also the
favicon, so no page asks for a missing one."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from web import audit, reasons, submissions
from web.auth import SessionUser, check_csrf, operator_only, reviewer_or_operator
from web.pages import render
from web.params import SubmissionId
from web.review import case_page
from web.settings import WebSettings
from workers.models import State

router = APIRouter(include_in_schema=False)
Reviewer = Annotated[SessionUser, Depends(reviewer_or_operator)]
Operator = Annotated[SessionUser, Depends(operator_only)]
PAGE = 50
FAVICON = Path(__file__).parent / "static" / "favicon.svg"


def _settings(request: Request) -> WebSettings:
    return request.app.state.settings


def _day(value: str) -> datetime | None:
    try:
        return datetime.combine(datetime.strptime(value, "%Y-%m-%d").date(), time(), tzinfo=None)
    except ValueError:
        return None


@router.get("/submissions", response_class=HTMLResponse)
def listing(
    request: Request,
    user: Reviewer,
    q: Annotated[str, Query(max_length=100)] = "",
    state: Annotated[str, Query(max_length=20)] = "",
    verdict: Annotated[str, Query(max_length=20)] = "",
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
    page: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> HTMLResponse:
    """Newest first; ``q`` matches a serial, the owner or the id; dates are UTC days."""
    from datetime import UTC

    states = [s.value for s in State]
    state = state if state in states else ""
    verdict = verdict if verdict in ("approved", "rejected", "needs_review") else ""
    start, end = _day(since), _day(until)
    items = submissions.search(
        _settings(request),
        text=q,
        state=state,
        verdict=verdict,
        since=start.replace(tzinfo=UTC) if start else None,
        until=(end + timedelta(days=1)).replace(tzinfo=UTC) if end else None,
        limit=PAGE + 1,
        offset=page * PAGE,
    )
    f = {"q": q, "state": state, "verdict": verdict, "since": since, "until": until}

    def page_url(n: int) -> str:
        return "/submissions?" + urlencode({**{k: v for k, v in f.items() if v}, "page": n})

    return render(
        request,
        "submissions.html",
        user,
        items=items[:PAGE],
        newer_url=page_url(page - 1) if page > 0 else None,
        older_url=page_url(page + 1) if len(items) > PAGE else None,
        f=f,
        states=states,
        label=reasons.label,
    )


@router.post("/submissions/{submission_id}/reopen", response_model=None)
def reopen(
    request: Request,
    submission_id: SubmissionId,
    user: Operator,
    csrf: Annotated[str, Form()] = "",
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    settings = _settings(request)
    check_csrf(user, settings, csrf)
    try:
        view = submissions.reopen(settings, submission_id, user.name, reason)
    except submissions.NotFound as exc:
        raise HTTPException(404, detail=str(exc)) from exc
    except submissions.SubmissionError as exc:
        view = submissions.get(settings, submission_id)
        return case_page(request, user, view, 409, error=str(exc), form={"reopen_reason": reason})
    audit.record(settings, submission_id, user.name, "reopen", reason)
    return RedirectResponse(f"/review/{view.id}", status_code=303)


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    return FileResponse(FAVICON, media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"})
