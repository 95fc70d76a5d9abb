"""``vidverify check``: the main job from the command line, with no queue and no server.

Exit status: 0 approved, 1 rejected, 3 needs_review, 2 bad usage. When the claimed product is in
the eligibility store, the RC SN and model come from its record when not given, and an approval
opens the 72-hour purchase window there, through the same hand-off as the queue's
(``workers.handoff.open_window``), referenced by the recording's SHA-256: checking the same
file again finds the same window. A window the store refuses (the same recording already
opened one for another product) is said on stderr; the exit status stays the verdict's.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.ocr import READ_THREADS, default_engine

if TYPE_CHECKING:
    from pipeline.models import Report

EXIT_USAGE = 2


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="verify one recording (file or URL) against the claimed product")
    p.add_argument("source", help="a local video file or a URL (fetched through yt-dlp)")
    p.add_argument("--rc-sn", help="the RC serial of the product record (else taken from the store)")
    p.add_argument("--aircraft-sn", help="the claimed aircraft serial")
    p.add_argument("--model", help="the claimed model")
    p.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    p.add_argument("--evidence-dir", type=Path, help="write evidence frames (JPEG) here")
    p.add_argument("--db", help="eligibility store URL (else $DATABASE_URL, else ./vidverify.db if present)")
    p.set_defaults(func=run, quick_exit=True)  # see ``cli.console``


def _store(args: argparse.Namespace):
    """The eligibility store, if one is configured or already exists; never created by a check."""
    url = args.db or os.environ.get("DATABASE_URL")
    if not url and not Path("vidverify.db").exists():
        return None
    from eligibility.store import Store

    return Store(url)


class _Bar:
    """A one-line progress bar on a terminal; silent when stderr is not one."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()
        self.last = -1

    def __call__(self, fraction: float, stage: str) -> None:
        if not self.enabled:
            return
        pct = int(fraction * 100)
        if pct == self.last:
            return
        self.last = pct
        filled = pct * 30 // 100
        sys.stderr.write(f"\r{stage:<16} [{'#' * filled}{'.' * (30 - filled)}] {pct:3d}%")
        sys.stderr.flush()
        if fraction >= 1.0:
            sys.stderr.write("\n")


def summary(report: Report) -> str:
    lines = [
        f"verdict: {report.verdict.value}"
        + (f"  ({', '.join(r.value for r in report.reasons)})" if report.reasons else "")
    ]
    v = report.video
    lines.append(f"app: {report.app}   video: {v.width}x{v.height} {v.fps:g} fps {v.duration_s:.1f}s")
    for s in report.steps:
        span = (
            f"{s.start_s:6.1f}-{s.end_s:6.1f}s" if s.start_s is not None and s.end_s is not None else " " * 15
        )
        lines.append(f"  [{'x' if s.found else ' '}] {s.name.value:<20} {span}  {s.detail}")
    for c in report.serials:
        if c.read or c.expected:
            state = {True: "match", False: "MISMATCH", None: "-"}[c.matched]
            lines.append(
                f"  {c.role} serial: read {c.read or '(none)'}  expected {c.expected or '(none)'}  {state}"
            )
    for f in report.findings:
        lines.append(f"  ! {f.reason.value}: {f.message}")
    for u in report.uncertain:
        lines.append(f"  ? {u}")
    if report.timings:
        lines.append(f"  time: {report.timings.get('total', 0) / 1000:.1f}s")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    # Tesseract's models load on threads of their own while the rest of the pipeline (pydantic,
    # OpenCV, FFmpeg) is imported: a third of a second that a check otherwise waits through.
    with contextlib.suppress(RuntimeError):  # no OCR engine at all: the analysis says so
        default_engine().warm_up(READ_THREADS)
    from pipeline.analyse import analyse_file
    from pipeline.fetch import FetchError, FetchPolicy, fetch_video, is_url
    from pipeline.models import Claim, Verdict

    exit_codes = {Verdict.APPROVED: 0, Verdict.REJECTED: 1, Verdict.NEEDS_REVIEW: 3}
    if not is_url(args.source) and not Path(args.source).exists():
        print(f"vidverify check: error: no such file: {args.source}", file=sys.stderr)
        return EXIT_USAGE
    rc_sn, model = args.rc_sn, args.model
    store = None
    product = None
    if args.aircraft_sn:
        try:
            store = _store(args)
            product = store.get_product(args.aircraft_sn) if store else None
        except Exception as exc:  # a broken store must not stop a check that has what it needs
            if not rc_sn:
                print(f"vidverify check: error: cannot read the product store: {exc}", file=sys.stderr)
                return EXIT_USAGE
        if product is not None:
            rc_sn = rc_sn or product.rc_sn
            model = model or product.model
    if not rc_sn:
        print(
            "vidverify check: error: --rc-sn is required (no stored product record gives it)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        claim = Claim(rc_sn=rc_sn, aircraft_sn=args.aircraft_sn, model=model)
    except ValueError as exc:
        print(f"vidverify check: error: {exc}", file=sys.stderr)
        return EXIT_USAGE

    bar = _Bar()
    with tempfile.TemporaryDirectory(prefix="vidverify-") as tmp:
        try:
            if is_url(args.source):
                bar(0.0, "fetching")
            path = fetch_video(args.source, Path(tmp), FetchPolicy.from_env())
        except FetchError as exc:
            print(f"vidverify check: error: {exc.message}", file=sys.stderr)
            return EXIT_USAGE
        report = analyse_file(path, claim, evidence_dir=args.evidence_dir, progress=bar, source=args.source)

    window = None
    if report.verdict is Verdict.APPROVED and store is not None and product is not None:
        from workers.handoff import HandoffRefused, open_window, recording_reference

        try:
            window = open_window(
                store, product.aircraft_sn, recording_reference(report.video.sha256), datetime.now(UTC)
            )
        except HandoffRefused as exc:
            print(f"vidverify check: {exc}", file=sys.stderr)
    window_text = f"purchase window open until {window.expires_at.isoformat()}" if window else None
    if args.json:
        data = report.model_dump(mode="json")
        if window is not None:
            data["window_expires_at"] = window.expires_at.isoformat()
        import json

        print(json.dumps(data, indent=2))
    else:
        print(summary(report))
        if window_text:
            print(window_text)
    return exit_codes[report.verdict]
