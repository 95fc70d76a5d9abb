"""``vidverify`` subcommands of the queue workers: submit, worker, status, reap, notify.

Exit status: 0 done, 1 the submission failed or was rejected (``status``), 2 bad usage or
input (one line on stderr). Configuration comes from the environment (see README).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable

from sqlalchemy.exc import SQLAlchemyError

from workers import notify, reaper, service
from workers.config import Settings
from workers.models import RUNNING_STATES, Stage, State, SubmissionView

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

Handler = Callable[[argparse.Namespace], int]


def _guarded(command: str, handler: Handler) -> Handler:
    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except (service.SubmissionError, service.NotFound, ValueError) as exc:
            print(f"vidverify {command}: error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except SQLAlchemyError as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            print(f"vidverify {command}: database error: {first}", file=sys.stderr)
            return EXIT_USAGE

    return run


def _submit(args: argparse.Namespace) -> int:
    view = service.submit(
        args.source,
        args.aircraft_sn,
        rc_sn=args.rc_sn,
        model=args.model,
        owner_name=args.owner_name,
        owner_email=args.owner_email,
        locale=args.locale,
        allow_local=True,
    )
    print(view.id)
    return EXIT_OK


def _stages(text: str) -> list[Stage]:
    stages = []
    for part in text.split(","):
        part = part.strip().lower()
        if not part:
            continue
        if part.startswith("vidverify-"):
            part = part.removeprefix("vidverify-")
        try:
            stages.append(Stage(part))
        except ValueError:
            raise ValueError(f"unknown queue {part!r}: use fetch, analyse or both") from None
    if not stages:
        raise ValueError("no queue given")
    return stages


def _worker(args: argparse.Namespace) -> int:
    from vidverify.migrate import SchemaMismatch, startup
    from workers.runner import run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    stages = _stages(args.queues)
    try:
        startup(Settings.from_env().database_url)  # upgrade (or check) every schema first
    except SchemaMismatch as exc:
        print(f"vidverify worker: {exc}", file=sys.stderr)
        return EXIT_FAILED
    return run_worker(stages, burst=args.burst, name=args.name)


def _describe(view: SubmissionView) -> str:
    lines = [
        f"submission {view.id}: {view.state.value}"
        + (f" (next/current stage: {view.stage.value})" if view.stage else ""),
        f"  attempts: {view.attempts}",
        f"  verdict:  {view.verdict or '-'}" + (f" ({', '.join(view.reasons)})" if view.reasons else ""),
        f"  source:   {view.source}",
        f"  product:  aircraft {view.aircraft_sn}, RC {view.rc_sn}, {view.model or '?'}",
    ]
    if view.locale:
        lines.append(f"  locale:   {view.locale} (the owner's e-mails)")
    if view.progress is not None and view.state in RUNNING_STATES:
        lines.append(f"  progress: {view.progress:.0%}")
    if view.review_verdict:
        lines.append(f"  review:   {view.review_verdict} by {view.reviewer}")
    if view.window_id:
        lines.append(f"  window:   {view.window_id}, open until {view.window_expires_at}")
    if view.last_error:
        lines.append(f"  last error: {view.last_error}")
    if view.durations:
        lines.append("  durations: " + ", ".join(f"{k} {v / 1000:.1f} s" for k, v in view.durations.items()))
    return "\n".join(lines)


def _status(args: argparse.Namespace) -> int:
    view = service.get(args.id)
    if args.json:
        data = view.model_dump(mode="json", exclude={"report"} if not args.report else None)
        print(json.dumps(data, indent=2))
    else:
        print(_describe(view))
    return EXIT_FAILED if view.state == State.FAILED else EXIT_OK


def _reap(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    result = reaper.reap(settings)
    print(result.summary())
    if not args.no_notify:
        print(f"notifications sent: {notify.send_pending(settings)}")
    return EXIT_OK


def _notify(args: argparse.Namespace) -> int:
    print(f"notifications sent: {notify.send_pending()}")
    return EXIT_OK


def _health(args: argparse.Namespace) -> int:
    from workers.health import problems

    found = problems(worker=args.worker)
    for line in found:
        print(line, file=sys.stderr)
    if not found:
        print("ok")
    return EXIT_FAILED if found else EXIT_OK


def _requeue(args: argparse.Namespace) -> int:
    view = service.requeue(args.id)
    print(_describe(view))
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the workers' subcommands to the ``vidverify`` parser."""
    p = subparsers.add_parser("submit", help="queue a video for verification; prints its id")
    p.add_argument("source", help="a video link, or a local file (operators)")
    p.add_argument("--aircraft-sn", required=True)
    p.add_argument("--rc-sn", help="default: the RC bound to the aircraft in the product record")
    p.add_argument("--model", help="default: from the product record")
    p.add_argument("--owner-name")
    p.add_argument("--owner-email", help="where the purchase notification goes")
    p.add_argument(
        "--locale",
        help="the owner's language for the e-mails, a BCP 47 tag (fr, fr-FR, zh-Hant-TW); default English",
    )
    p.set_defaults(func=_guarded("submit", _submit))

    p = subparsers.add_parser("worker", help="process queued submissions (RQ worker)")
    p.add_argument("--queues", default="fetch,analyse", help="comma list of fetch, analyse (default both)")
    p.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    p.add_argument("--name", help="worker name (default: RQ's)")
    p.set_defaults(func=_guarded("worker", _worker))

    p = subparsers.add_parser("status", help="state, attempts and verdict of a submission")
    p.add_argument("id", type=int)
    p.add_argument("--json", action="store_true")
    p.add_argument("--report", action="store_true", help="with --json: include the full report")
    p.set_defaults(func=_guarded("status", _status))

    p = subparsers.add_parser("reap", help="restart lost submissions and send pending mail")
    p.add_argument("--no-notify", action="store_true", help="do not send pending notifications")
    p.set_defaults(func=_guarded("reap", _reap))

    p = subparsers.add_parser("notify", help="send pending notifications (outbox)")
    p.set_defaults(func=_guarded("notify", _notify))

    p = subparsers.add_parser("health", help="exit 0 when Redis and the database answer")
    p.add_argument("--worker", action="store_true", help="also require a live worker on this host")
    p.set_defaults(func=_guarded("health", _health))

    p = subparsers.add_parser("requeue", help="start a failed submission again")
    p.add_argument("id", type=int)
    p.set_defaults(func=_guarded("requeue", _requeue))
