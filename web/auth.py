"""Browser sessions, CSRF tokens and role checks for the pages.

The cookie holds a random token of a session kept on the server (``web/logins.py``), which
logout and account changes end; the user is reloaded from the database on every request so a
deactivated account loses access at once. Forms carry a CSRF token derived from the session's
secret.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from fastapi import Request, Response

from web import logins
from web.settings import WebSettings
from web.users import get_user

COOKIE = "vv_session"


@dataclass(frozen=True)
class SessionUser:
    id: int
    name: str
    role: str
    csrf_secret: str


class LoginRequired(Exception):
    """No valid session: the pages redirect to the login form."""


class Forbidden(Exception):
    """Logged in, but the role may not see this page."""

    def __init__(self, role: str) -> None:
        super().__init__(role)
        self.role = role


class CsrfError(Exception):
    """A form arrived without the session's CSRF token."""


def _sign(secret: str, payload: bytes) -> str:
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def set_session(response: Response, settings: WebSettings, user_id: int) -> None:
    """Start a server-side session (``web/logins.py``) and give the browser its token."""
    token = logins.start(settings.database_url, user_id, settings.session_max_age_s)
    response.set_cookie(
        COOKIE,
        token,
        max_age=settings.session_max_age_s,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )


def end_session(request: Request) -> None:
    """End this request's session on the server (logout)."""
    settings: WebSettings = request.app.state.settings
    logins.end(settings.database_url, request.cookies.get(COOKIE))


def clear_session(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/")


def current_user(request: Request) -> SessionUser | None:
    settings: WebSettings = request.app.state.settings
    session = logins.find(settings.database_url, request.cookies.get(COOKIE))
    if session is None:
        return None
    row = get_user(settings.database_url, session.user_id)
    if row is None:
        return None
    return SessionUser(id=row.id, name=row.name, role=row.role, csrf_secret=session.csrf_secret)


def csrf_token(user: SessionUser, settings: WebSettings) -> str:
    return _sign(settings.secret_key, f"csrf:{user.id}:{user.csrf_secret}".encode())


def check_csrf(user: SessionUser, settings: WebSettings, token: str | None) -> None:
    if not token or not hmac.compare_digest(token, csrf_token(user, settings)):
        raise CsrfError()


def require_role(*roles: str):
    """A FastAPI dependency: the session user, if their role is one of ``roles``."""

    def dependency(request: Request) -> SessionUser:
        user = current_user(request)
        if user is None:
            raise LoginRequired()
        if user.role not in roles:
            raise Forbidden(user.role)
        return user

    return dependency


# Operators may also review; reviewers may not operate.
reviewer_or_operator = require_role("reviewer", "operator")
operator_only = require_role("operator")
