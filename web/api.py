"""The intake API: clients with a bearer token post recordings and poll their state."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from web import intake, submissions
from web.params import SubmissionId
from web.ratelimit import RateLimiter
from web.settings import WebSettings
from web.tokens import ApiClient, check_token
from workers.emails import normalise_email
from workers.locales import normalise_locale
from workers.models import State, SubmissionView, Verdict

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api", tags=["intake"])
bearer = HTTPBearer(auto_error=False, description="An API token from `vidverify tokens add NAME`")

SERIAL = r"^[A-Za-z0-9]{6,32}$"
Email = Annotated[str, AfterValidator(normalise_email)]
Locale = Annotated[str, AfterValidator(normalise_locale)]


class SubmissionIn(BaseModel):
    """A verification request: the recording's link and the product it claims to show."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    youtube_url: str = Field(min_length=1, max_length=2000, examples=["https://youtu.be/dQw4w9WgXcQ"])
    model: str = Field(min_length=1, max_length=100, examples=["DJI Mini 4 Pro"])
    aircraft_sn: str = Field(pattern=SERIAL, description="the aircraft serial number")
    gimbal_sn: str | None = Field(default=None, pattern=SERIAL, description="for handheld gimbals")
    rc_sn: str | None = Field(
        default=None, pattern=SERIAL, description="defaults to the RC bound to the aircraft on record"
    )
    owner_name: str = Field(min_length=1, max_length=200)
    owner_email: Email = Field(max_length=320, description="one address, parsed by email-validator")
    locale: Locale | None = Field(
        default=None,
        examples=["fr-FR"],
        description="the owner's language for the e-mails, a BCP 47 tag (fr, fr-FR, zh-Hant-TW); kept as the "
        "closest language they are written in (en, fr, de, es, it, cs, ja, ko, zh-CN, zh-TW), English when "
        "none is close; a malformed tag is a 422",
    )


class SubmissionOut(BaseModel):
    id: int
    state: State
    gimbal_sn: str | None = Field(default=None, description="as posted, for handheld gimbals")
    verdict: Verdict | None = Field(description="the reviewer's verdict if there is one, else the machine's")
    machine_verdict: Verdict | None
    reasons: list[str]
    window_expires_at: datetime | None = Field(description="set once the 72 h purchase window is open")
    created_at: datetime
    updated_at: datetime
    error: str | None = Field(default=None, description="why processing failed, when state is failed")
    locale: str | None = Field(
        default=None, description="the owner's e-mails' language as kept; null: English"
    )

    @classmethod
    def from_view(cls, view: SubmissionView, gimbal_sn: str | None = None) -> SubmissionOut:
        return cls(
            id=view.id,
            gimbal_sn=gimbal_sn,
            state=view.state,
            verdict=view.effective_verdict,
            machine_verdict=view.verdict,
            reasons=view.reasons,
            window_expires_at=view.window_expires_at,
            created_at=view.created_at,
            updated_at=view.updated_at,
            error=view.last_error if view.state == State.FAILED else None,
            locale=view.locale,
        )


# Which body field a ``SubmissionError`` from the workers is about, by its wording.
_ERROR_FIELDS = (
    ("RC serial", "aircraft_sn"),
    ("aircraft serial", "aircraft_sn"),
    ("e-mail", "owner_email"),
    ("link", "youtube_url"),
    ("URL", "youtube_url"),
)


def _problem(field: str, message: str, kind: str) -> HTTPException:
    """A 422 shaped like FastAPI's own validation errors."""
    return HTTPException(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        detail=[{"loc": ["body", field], "msg": message, "type": kind}],
    )


def api_client(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> ApiClient:
    """The authenticated client, counted against its rate limit."""
    settings: WebSettings = request.app.state.settings
    unauthorized = HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        detail="a valid API token is required (Authorization: Bearer TOKEN)",
        headers={"WWW-Authenticate": "Bearer"},
    )
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise unauthorized
    client = check_token(settings.database_url, credentials.credentials)
    if client is None:
        raise unauthorized
    limiter: RateLimiter = request.app.state.rate_limiter
    try:
        allowed, retry_after = limiter.hit(client.id)
    except Exception as exc:  # Redis down: do not lock every client out; the queue copes
        log.warning("rate limiter unavailable (%s); request let through", exc)
        return client
    if not allowed:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            detail=f"rate limit of {limiter.per_minute} requests per minute exceeded",
            headers={"Retry-After": str(retry_after)},
        )
    return client


Client = Annotated[ApiClient, Depends(api_client)]


@router.post(
    "/submissions",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SubmissionOut,
    responses={
        401: {"description": "no or unknown token"},
        422: {"description": "invalid body, refused link, or unknown product"},
        429: {"description": "rate limit exceeded"},
        503: {"description": "the link cannot be checked now (its host does not resolve)"},
    },
)
def create_submission(body: SubmissionIn, request: Request, client: Client) -> SubmissionOut:
    """Queue a recording for verification. Posting the same link for the same aircraft
    again returns the existing submission (same id), nothing is queued twice."""
    settings: WebSettings = request.app.state.settings
    try:
        view = submissions.submit(
            settings,
            body.youtube_url,
            body.aircraft_sn,
            model=body.model,
            owner_name=body.owner_name,
            owner_email=body.owner_email,
            locale=body.locale,
            rc_sn=body.rc_sn,
            client_id=client.id,
        )
    except submissions.LinkUnchecked as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail=str(exc)) from exc
    except submissions.LinkRefused as exc:
        raise _problem("youtube_url", str(exc), "url_refused") from exc
    except submissions.SubmissionError as exc:
        message = str(exc)
        field = next((f for key, f in _ERROR_FIELDS if key in message), "body")
        raise _problem(field, message, "submission_refused") from exc
    intake.record(settings, view.id, client.id, body.gimbal_sn)
    log.info("client %s submitted %s: submission %s", client.name, view.source, view.id)
    return SubmissionOut.from_view(view, body.gimbal_sn)


@router.get(
    "/submissions/{submission_id}",
    response_model=SubmissionOut,
    responses={401: {"description": "no or unknown token"}, 404: {"description": "no such submission"}},
)
def read_submission(submission_id: SubmissionId, request: Request, client: Client) -> SubmissionOut:
    """The submission's state, verdict, reasons and, once approved, the window's expiry."""
    settings: WebSettings = request.app.state.settings
    posted = intake.posted_by(settings, submission_id, client.id)
    try:
        if posted is None:  # another client's submission reads as an unknown one
            raise submissions.NotFound(f"no submission {submission_id}")
        return SubmissionOut.from_view(submissions.get(settings, submission_id), posted.gimbal_sn)
    except submissions.NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from exc
