"""The FastAPI application: intake API, reviewer pages, operations dashboard."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from redis import Redis
from redis.exceptions import RedisError

from web import api, browse, ops, owner, review
from web.auth import (
    CsrfError,
    Forbidden,
    LoginRequired,
    clear_session,
    current_user,
    end_session,
    set_session,
)
from web.edge import Edge
from web.pages import render
from web.ratelimit import RateLimiter
from web.settings import WebSettings
from web.throttle import DEVICE_COOKIE, DEVICE_MAX_AGE_S, LoginThrottle
from web.users import authenticate

log = logging.getLogger(__name__)

LOGIN_CSRF = "vv_login"


def _safe_next(target: str | None) -> str:
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def create_app(settings: WebSettings | None = None) -> FastAPI:
    settings = settings or WebSettings.from_env()
    about = {
        "title": "vidverify",
        "version": "0.1.0",
        "description": "Verification of drone screen recordings for late DJI Care Refresh purchase.",
    }
    if settings.public_docs:
        # /docs and /redoc with their assets served from here (no CDN: they work offline).
        app = FastAPIOffline(favicon_url="/static/favicon.svg", static_url="/static-docs", **about)
    else:  # no API description for anyone who asks
        app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None, **about)
    app.add_middleware(Edge, max_body_bytes=settings.max_body_bytes)
    app.state.settings = settings
    app.state.rate_limiter = RateLimiter(
        Redis.from_url(settings.redis_url, socket_timeout=3, socket_connect_timeout=3),
        settings.rate_limit_per_minute,
        prefix=f"{settings.workers.queue_prefix}:web:rate",
    )
    app.state.login_throttle = LoginThrottle(
        app.state.rate_limiter.redis,
        settings.login_per_minute,
        secret=settings.secret_key,
        prefix=f"{settings.workers.queue_prefix}:web:login",
    )
    app.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static")
    app.include_router(api.router)
    app.include_router(review.router)
    app.include_router(ops.router)
    app.include_router(browse.router)
    app.include_router(owner.router)

    @app.exception_handler(LoginRequired)
    def _login_required(request: Request, _exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method != "GET":
            return render(
                request,
                "error.html",
                None,
                401,
                title="Log-in required",
                text="Your session has ended. Log in again.",
            )
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(Forbidden)
    def _forbidden(request: Request, exc: Forbidden) -> Response:
        return render(
            request,
            "error.html",
            current_user(request),
            403,
            title="Not allowed",
            text=f"Your role ({exc.role}) may not open this page.",
        )

    @app.exception_handler(CsrfError)
    def _csrf(request: Request, _exc: CsrfError) -> Response:
        return render(
            request,
            "error.html",
            current_user(request),
            403,
            title="Form expired",
            text="The form's security token did not match. Reload the page and try again.",
        )

    @app.get("/", include_in_schema=False)
    def home(request: Request) -> RedirectResponse:
        user = current_user(request)
        if user is None:
            return RedirectResponse("/login", status_code=303)
        return RedirectResponse("/ops" if user.role == "operator" else "/review", status_code=303)

    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_page(request: Request, next: str = "/") -> Response:
        return login_form(request, next=next)  # an error is never taken from the address

    def login_form(request: Request, next: str = "/", error: str | None = None) -> Response:
        import secrets

        token = request.cookies.get(LOGIN_CSRF) or secrets.token_hex(16)
        response = render(
            request,
            "login.html",
            None,
            401 if error else 200,
            next=_safe_next(next),
            login_csrf=token,
            error=error,
        )
        response.set_cookie(
            LOGIN_CSRF, token, httponly=True, samesite="strict", secure=settings.secure_cookies, max_age=3600
        )
        return response

    @app.post("/login", include_in_schema=False)
    def login(
        request: Request,
        username: Annotated[str, Form(max_length=100)],
        password: Annotated[str, Form(max_length=1000)],
        csrf: Annotated[str, Form()] = "",
        next: Annotated[str, Form()] = "/",
    ) -> Response:
        import hmac

        cookie = request.cookies.get(LOGIN_CSRF, "")
        if not cookie or not hmac.compare_digest(cookie, csrf):
            raise CsrfError()
        throttle: LoginThrottle = request.app.state.login_throttle
        address = request.client.host if request.client else "unknown"
        attempt = throttle.attempt(username, address, request.cookies.get(DEVICE_COOKIE))
        wait = _guarded(lambda: throttle.wait(attempt)) or 0
        if wait:
            response = login_form(request, next=next, error=f"Too many attempts: try again in {wait} s.")
            response.status_code = 429
            response.headers["Retry-After"] = str(wait)
            return response
        user = authenticate(settings.database_url, username, password)
        if user is None:
            _guarded(lambda: throttle.failed(attempt))
            return login_form(request, next=next, error="Wrong name or password.")
        target = _safe_next(next)
        if target == "/":
            target = "/ops" if user.role == "operator" else "/review"
        response = RedirectResponse(target, status_code=303)
        set_session(response, settings, user.id)
        response.delete_cookie(LOGIN_CSRF)
        # This browser is now known for this account: guesses from elsewhere do not lock it out.
        response.set_cookie(
            DEVICE_COOKIE,
            throttle.device_cookie(user.name, attempt.device),
            max_age=DEVICE_MAX_AGE_S,
            httponly=True,
            samesite="strict",
            secure=settings.secure_cookies,
            path="/login",
        )
        return response

    def _guarded(call: Callable[[], int | None]) -> int | None:
        """The throttle's answer; with Redis down, logins are let through (and logged)."""
        try:
            return call()
        except RedisError as exc:
            log.warning("login throttle unavailable (%s); attempt let through", exc)
            return 0

    @app.post("/logout", include_in_schema=False)
    def logout(request: Request, csrf: Annotated[str, Form()] = "") -> RedirectResponse:
        from web.auth import check_csrf

        user = current_user(request)
        if user is not None:
            check_csrf(user, settings, csrf)
        end_session(request)
        response = RedirectResponse("/login", status_code=303)
        clear_session(response)
        return response

    return app
