"""Browser sessions (an HMAC-signed cookie), CSRF tokens and role checks for the pages.

The cookie holds the user id, an expiry and a random CSRF secret, signed with the service
secret; the user is reloaded from the database on every request so a deactivated account
loses access at once. Forms carry a CSRF token derived from the session's secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

from fastapi import Request, Response

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


def make_cookie(settings: WebSettings, user_id: int) -> str:
    data = {"u": user_id, "exp": int(time.time()) + settings.session_max_age_s, "c": secrets.token_hex(16)}
    payload = base64.urlsafe_b64encode(json.dumps(data).encode())
    return f"{payload.decode()}.{_sign(settings.secret_key, payload)}"


def read_cookie(settings: WebSettings, value: str | None) -> dict | None:
    if not value or "." not in value:
        return None
    payload, signature = value.rsplit(".", 1)
    if not hmac.compare_digest(signature, _sign(settings.secret_key, payload.encode())):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(payload.encode()))
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("exp", 0) < time.time():
        return None
    return data


def set_session(response: Response, settings: WebSettings, user_id: int) -> None:
    response.set_cookie(
        COOKIE,
        make_cookie(settings, user_id),
        max_age=settings.session_max_age_s,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )


def clear_session(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/")


def current_user(request: Request) -> SessionUser | None:
    settings: WebSettings = request.app.state.settings
    data = read_cookie(settings, request.cookies.get(COOKIE))
    if data is None:
        return None
    row = get_user(settings.database_url, int(data.get("u", 0)))
    if row is None:
        return None
    return SessionUser(id=row.id, name=row.name, role=row.role, csrf_secret=str(data.get("c", "")))


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
