"""The operations dashboard (operators only), requeueing (asked first, one or many), /metrics
and /healthz.

A requeue goes in two steps: the first POST shows what will be requeued and asks to confirm
(works without JavaScript), the second does it. The result message is built from the
submissions' stored state (``?requeued=1,2``), never taken from the address as text.
"""

from __future__ import annotations

import hmac
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from sqlalchemy import text

from web import audit, charts, errors, queues, series, submissions
from web.auth import SessionUser, check_csrf, current_user, operator_only
from web.metrics import prometheus, snapshot
from web.pages import render
from web.params import MAX_ID, SubmissionId
from web.settings import WebSettings
from workers.db import get_database

log = logging.getLogger(__name__)
router = APIRouter(tags=["operations"])
Operator = Annotated[SessionUser, Depends(operator_only)]
MAX_BULK = 100
COLOURS = {"approved": "#16a34a", "rejected": "#dc2626", "needs_review": "#d97706"}


def _settings(request: Request) -> WebSettings:
    return request.app.state.settings


def _ids(raw: str, limit: int = MAX_BULK) -> list[int]:
    ids = []
    for part in raw.split(",")[:limit]:
        part = part.strip()
        if part.isdigit() and 0 < int(part) <= MAX_ID and int(part) not in ids:
            ids.append(int(part))
    return ids


def _charts(settings: WebSettings) -> dict[str, object]:
    hours = series.hourly(settings)
    labels = [h.start.strftime("%H:00") for h in hours]
    mix = [
        charts.Series(v.replace("_", " "), COLOURS[v], [float(h.verdicts.get(v, 0)) for h in hours])
        for v in COLOURS
    ]
    received = [charts.Series("received", "#1d4ed8", [float(h.received) for h in hours])]
    failed = [charts.Series("failed", "#7f1d1d", [float(h.failed) for h in hours])]
    latency = [
        charts.Series("p50", "#1d4ed8", [h.p50 for h in hours]),
        charts.Series("p95", "#b45309", [h.p95 for h in hours]),
    ]
    return {
        "received": charts.stacked_bars(
            labels, received + failed, "Submissions received and failed per hour"
        ),
        "mix": charts.stacked_bars(labels, mix, "Decisions per hour by verdict"),
        "latency": charts.lines(labels, latency, "Analyse stage latency per hour, p50 and p95"),
        "legend": [(s.name, s.colour) for s in mix],
    }


def _dashboard(
    request: Request,
    user: SessionUser,
    status_code: int = 200,
    notice: str | None = None,
    error: str | None = None,
) -> HTMLResponse:
    settings = _settings(request)
    failed = submissions.failed(settings)
    return render(
        request,
        "dashboard.html",
        user,
        status_code,
        snap=snapshot(settings),
        failed=failed,
        explain=errors.explain,
        charts=_charts(settings),
        refresh_s=settings.refresh_s,
        notice=notice,
        error=error,
    )


@router.get("/ops", response_class=HTMLResponse, include_in_schema=False)
def dashboard(request: Request, user: Operator, requeued: str = "") -> HTMLResponse:
    notice = None
    ids = _ids(requeued, 20)
    if ids:
        settings = _settings(request)
        parts = []
        for i in ids:
            try:
                view = submissions.get(settings, i)
            except submissions.NotFound:
                continue
            parts.append(f"#{i} ({view.state.value}, attempt {view.attempts})")
        notice = "Requeued: " + ", ".join(parts) + "." if parts else None
    return _dashboard(request, user, notice=notice)


@router.post("/ops/requeue", include_in_schema=False, response_model=None)
def requeue_many(
    request: Request,
    user: Operator,
    csrf: Annotated[str, Form()] = "",
    ids: Annotated[list[str] | None, Form()] = None,
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Requeue the ticked submissions: first asks (lists them), then does it."""
    settings = _settings(request)
    check_csrf(user, settings, csrf)
    chosen = _ids(",".join(ids or []))
    if not chosen:
        return _dashboard(request, user, 422, error="Tick at least one failed submission to requeue.")
    views = []
    for i in chosen:
        try:
            views.append(submissions.get(settings, i))
        except submissions.NotFound:
            continue
    if confirm != "yes":
        return render(request, "requeue_confirm.html", user, views=views, explain=errors.explain)
    done, problems = [], []
    for view in views:
        try:
            submissions.requeue(settings, view.id)
            audit.record(settings, view.id, user.name, "requeue", f"attempt {view.attempts + 1}")
            done.append(view.id)
        except submissions.SubmissionError as exc:
            problems.append(f"#{view.id}: {exc}")
        except Exception as exc:  # Redis down: say so instead of a 500
            problems.append(f"#{view.id}: the queue did not answer ({type(exc).__name__}); try again")
    if problems:
        notice = f"Requeued {len(done)}." if done else None
        return _dashboard(request, user, 409, notice=notice, error="Not requeued: " + "; ".join(problems))
    return RedirectResponse(f"/ops?requeued={','.join(map(str, done))}", status_code=303)


@router.post("/ops/requeue/{submission_id}", include_in_schema=False, response_model=None)
def requeue(
    request: Request,
    submission_id: SubmissionId,
    user: Operator,
    csrf: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    return requeue_many(request, user, csrf=csrf, ids=[str(submission_id)], confirm=confirm)


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


@router.get("/healthz")
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
