"""The operations dashboard (operators only), its requeue action, /metrics and /healthz."""

from __future__ import annotations

import hmac
import logging
from typing import Annotated
from urllib.parse import quote_plus

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse
from sqlalchemy import text

from web import queues, submissions
from web.auth import SessionUser, check_csrf, current_user, operator_only
from web.metrics import prometheus, snapshot
from web.pages import render
from web.params import SubmissionId
from web.settings import WebSettings
from workers.db import get_database

log = logging.getLogger(__name__)
router = APIRouter(tags=["operations"])
Operator = Annotated[SessionUser, Depends(operator_only)]


def _settings(request: Request) -> WebSettings:
    return request.app.state.settings


@router.get("/ops", response_class=HTMLResponse, include_in_schema=False)
def dashboard(request: Request, user: Operator) -> HTMLResponse:
    settings = _settings(request)
    return render(
        request,
        "dashboard.html",
        user,
        snap=snapshot(settings),
        failed=submissions.failed(settings),
        refresh_s=settings.refresh_s,
        message=request.query_params.get("msg"),
    )


@router.post("/ops/requeue/{submission_id}", include_in_schema=False)
def requeue(
    request: Request, submission_id: SubmissionId, user: Operator, csrf: Annotated[str, Form()] = ""
) -> RedirectResponse:
    settings = _settings(request)
    check_csrf(user, settings, csrf)
    try:
        view = submissions.requeue(settings, submission_id)
        message = f"Submission {submission_id} requeued as attempt {view.attempts} ({view.job_id})"
    except submissions.NotFound as exc:
        raise HTTPException(404, detail=str(exc)) from exc
    except submissions.SubmissionError as exc:
        message = str(exc)
    except Exception as exc:  # Redis down: say so instead of a 500
        message = f"requeue failed: {type(exc).__name__}: {exc}"
    return RedirectResponse(f"/ops?msg={quote_plus(message[:300])}", status_code=303)


def _operator_or_scraper(request: Request) -> bool:
    """An operator's session, or the metrics token as a bearer token."""
    settings = _settings(request)
    expected = settings.metrics_token
    if expected:
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if hmac.compare_digest(given.encode(), expected.encode()):
            return True
    user = current_user(request)
    return user is not None and user.role == "operator"


@router.get("/metrics", response_class=PlainTextResponse, tags=["operations"])
def metrics(request: Request) -> PlainTextResponse:
    """Prometheus text format, for scrapers sending ``VIDVERIFY_WEB_METRICS_TOKEN`` as a bearer
    token, operators, or anyone with ``VIDVERIFY_WEB_PUBLIC_METRICS=1``."""
    if not (_settings(request).public_metrics or _operator_or_scraper(request)):
        raise HTTPException(401, detail="metrics token required", headers={"WWW-Authenticate": "Bearer"})
    body = prometheus(snapshot(_settings(request), with_failed_jobs=False))
    return PlainTextResponse(body, media_type="text/plain; version=0.0.4; charset=utf-8")


@router.get("/healthz", tags=["operations"])
def healthz(request: Request) -> JSONResponse:
    """Liveness (the process answers) and readiness (Redis and the database answer); 503 when
    not ready. What failed, with its error, only for operators and the metrics token: the
    error text names hosts and ports."""
    settings = _settings(request)
    checks: dict[str, str] = {}
    try:
        conn = queues.redis_connection(settings)
        try:
            conn.ping()
        finally:
            conn.close()
        checks["redis"] = "ok"
    except Exception as exc:
        checks["redis"] = f"{type(exc).__name__}: {exc}"
    try:
        with get_database(settings.database_url).read_engine.connect() as c:
            c.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"{type(exc).__name__}: {exc}"[:300]
    ready = all(v == "ok" for v in checks.values())
    if not ready:
        log.warning("not ready: %s", checks)
    body: dict[str, object] = {"live": True, "ready": ready}
    if _operator_or_scraper(request):
        body["checks"] = checks
    return JSONResponse(body, status_code=200 if ready else 503)
