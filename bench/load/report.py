"""Figures of a load run: throughput and latencies per phase, the accounting (lost
submissions, duplicate windows, duplicate e-mails) overall and per fault, and the cost of
each fault in latency. Pure functions over what the driver, the sampler and the sinks saw,
plus one read-only look at the database's windows and outbox at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
from collections import Counter
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select

from bench.load.client import MIX, Posted
from bench.load.faults import Fault
from bench.load.measure import FINAL_STATES, Row, cpu_summary, percentiles
from bench.load.sinks import Mail
from bench.load.system import TIMINGS

ROOT = Path(__file__).resolve().parents[2]

MAILED = {"approved", "rejected"}  # needs_review waits for a person: no e-mail yet


def latencies(items: list[Posted], rows: dict[int, Row], mails: list[Mail]) -> dict[str, dict[int, float]]:
    """Per submission id: POST to verdict, POST to e-mail, verdict to e-mail (seconds)."""
    first_mail: dict[str, float] = {}
    for mail in mails:
        for rcpt in mail.recipients:
            first_mail.setdefault(rcpt, mail.at)
    out: dict[str, dict[int, float]] = {"verdict": {}, "email": {}, "verdict_to_email": {}}
    for item in items:
        row = rows.get(item.id) if item.id is not None else None
        if row is None or row.decided_at is None:
            continue
        out["verdict"][row.id] = row.decided_at - item.posted_at
        if item.email in first_mail:
            out["email"][row.id] = first_mail[item.email] - item.posted_at
            out["verdict_to_email"][row.id] = first_mail[item.email] - row.decided_at
    return out


def throughput(items: list[Posted], rows: dict[int, Row], until: float) -> dict[str, Any]:
    """Recordings an hour, two ways. ``recordings_per_hour``: every verdict of the phase over
    the time from its first POST to its last verdict (start-up and drain included, so it is
    the conservative figure). ``steady_recordings_per_hour``: the verdicts given while posting
    went on, (k - 1) intervals from the first to the k-th (needs a phase long enough for a few).
    ``one_minute_equivalents_per_hour`` scales the first by recording length: video minutes
    analysed an hour, what "600 one-minute recordings an hour" asks for."""
    done = sorted(
        (rows[i.id].decided_at, i.case.duration)
        for i in items
        if i.id in rows and rows[i.id].decided_at is not None
    )
    out: dict[str, Any] = {
        "verdicts": len(done),
        "recordings_per_hour": None,
        "one_minute_equivalents_per_hour": None,
        "steady_recordings_per_hour": None,
    }
    if not done or not items:
        return out
    span = done[-1][0] - min(i.posted_at for i in items)
    video_s = sum(d for _, d in done)
    out.update(
        {
            "span_s": round(span, 1),
            "recordings_per_hour": round(3600 * len(done) / span),
            "mean_recording_s": round(statistics.fmean(d for _, d in done), 1),
            "one_minute_equivalents_per_hour": round(3600 * video_s / 60 / span),
        }
    )
    steady = [t for t, _ in done if t <= until]
    if len(steady) >= 3:
        out["steady_recordings_per_hour"] = round(3600 * (len(steady) - 1) / (steady[-1] - steady[0]))
    return out


def stages(items: list[Posted], rows: dict[int, Row]) -> dict[str, Any]:
    """The workers' own timing of each stage (fetch, analyse), and the time waiting in the
    queue (POST to verdict less both), per submission of the phase."""
    out: dict[str, list[float]] = {"fetch": [], "analyse": [], "waiting": []}
    for item in items:
        row = rows.get(item.id) if item.id is not None else None
        if row is None or row.decided_at is None or row.attempts != 1:
            continue
        fetch, analyse = row.durations.get("fetch"), row.durations.get("analyse")
        if fetch is None or analyse is None:
            continue
        out["fetch"].append(fetch / 1000)
        out["analyse"].append(analyse / 1000)
        out["waiting"].append(row.decided_at - item.posted_at - (fetch + analyse) / 1000)
    return {k: percentiles(v) for k, v in out.items()}


def worker_cpu(
    items: list[Posted], rows: dict[int, Row], procs: dict[str, Any], since: float, until: float
) -> dict[str, float | None]:
    """CPU seconds the workers (and their work horses) spent per recording and per minute of
    video in the phase: the figure that does not depend on how busy the machine was, so
    capacity is ``cores * 3600 / cpu_s_per_video_minute`` one-minute recordings an hour."""
    cpu_s = 0.0
    for name, stat in procs.items():
        if not name.startswith("worker-"):
            continue
        window = [s for s in stat.samples if since <= s[0] <= until]
        cpu_s += sum(b[1] / 100 * (b[0] - a[0]) for a, b in zip(window, window[1:], strict=False))
    done = [i for i in items if i.id in rows and rows[i.id].decided_at is not None]
    video_min = sum(i.case.duration for i in done) / 60
    return {
        "cpu_s": round(cpu_s, 1),
        "cpu_s_per_recording": round(cpu_s / len(done), 2) if done else None,
        "cpu_s_per_video_minute": round(cpu_s / video_min, 2) if video_min else None,
    }


def wrong_verdicts(items: list[Posted], rows: dict[int, Row]) -> list[str]:
    wrong = []
    for item in items:
        row = rows.get(item.id) if item.id is not None else None
        if row is None or row.state not in FINAL_STATES:
            continue
        got = (row.verdict, tuple(sorted(row.reasons)))
        want = (item.case.verdict, item.case.reasons)
        if got != want:
            wrong.append(f"{item.id} {item.case.file}: {got} != {want} ({row.state})")
    return wrong


def accounting(
    items: list[Posted], rows: dict[int, Row], mails: list[Mail], windows_per_product: dict[str, int]
) -> dict[str, Any]:
    """Lost, duplicated and missing, for ``items``."""
    accepted = [i for i in items if i.id is not None]
    lost = [i.id for i in accepted if i.id not in rows or rows[i.id].state not in FINAL_STATES]
    failed = [i.id for i in accepted if i.id in rows and rows[i.id].state == "failed"]
    per_rcpt = Counter(r for m in mails for r in m.recipients)
    emails = {i.email for i in accepted}
    dup_mails = sum(n - 1 for r, n in per_rcpt.items() if r in emails and n > 1)
    missing = [
        i.id for i in accepted if i.id in rows and rows[i.id].verdict in MAILED and per_rcpt[i.email] == 0
    ]
    products = {
        i.case.product["aircraft_sn"] for i in accepted if i.id in rows and rows[i.id].verdict == "approved"
    }
    dup_windows = sum(max(0, windows_per_product.get(p, 0) - 1) for p in products)
    return {
        "posted": len(items),
        "accepted": len(accepted),
        "unaccepted_posts": len(items) - len(accepted),
        "lost": len(lost),
        "lost_ids": lost[:20],
        "failed": len(failed),
        "duplicate_windows": dup_windows,
        "duplicate_emails": dup_mails,
        "missing_emails": len(missing),
        "retried_posts": sum(1 for i in items if i.tries > 1),
        "reprocessed": sum(1 for i in accepted if i.id in rows and rows[i.id].attempts > 1),
    }


def windows_per_product(database_url: str) -> dict[str, int]:
    """How many purchase windows each aircraft got (one open window per product is the rule;
    a second approved recording of it gets the same window back)."""
    from eligibility.tables import ProductRow, WindowRow

    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            result = conn.execute(
                select(ProductRow.aircraft_sn, func.count(WindowRow.id))
                .join(WindowRow, WindowRow.product_id == ProductRow.id)
                .group_by(ProductRow.aircraft_sn)
            ).all()
    finally:
        engine.dispose()
    return {sn: n for sn, n in result}


def phase_figures(
    name: str,
    workers: int,
    items: list[Posted],
    rows: dict[int, Row],
    mails: list[Mail],
    timeline: list[dict[str, Any]],
    procs: dict[str, Any],
    since: float,
    posting_until: float,
    until: float,
) -> dict[str, Any]:
    lat = latencies(items, rows, mails)
    window = [p for p in timeline if since <= p["t"] <= until]
    waiting = [p["waiting"] for p in window if "waiting" in p]
    redis_q = [p["queued_redis"] for p in window if "queued_redis" in p]
    return {
        "phase": name,
        "workers": workers,
        "duration_s": round(until - since, 1),
        "throughput": throughput(items, rows, posting_until),
        "post_to_verdict_s": percentiles(list(lat["verdict"].values())),
        "post_to_email_s": percentiles(list(lat["email"].values())),
        "verdict_to_email_s": percentiles(list(lat["verdict_to_email"].values())),
        "stages_s": stages(items, rows),
        "queue": {
            "waiting_mean": round(statistics.fmean(waiting), 1) if waiting else None,
            "waiting_max": max(waiting, default=None),
            "redis_max": max(redis_q, default=None),
        },
        "processes": cpu_summary(procs, since, until),
        "worker_cpu": worker_cpu(items, rows, procs, since, until),
        "wrong_verdicts": wrong_verdicts(items, rows),
    }


def fault_figures(
    fault: Fault,
    items: list[Posted],
    rows: dict[int, Row],
    mails: list[Mail],
    windows: dict[str, int],
    baseline: dict[str, float | None],
) -> dict[str, Any]:
    """What one fault cost: its affected submissions' accounting, and their latency over the
    same measure for submissions no fault touched (``baseline``: p50 seconds)."""
    ids = set(fault.affected)
    hit = [i for i in items if i.id in ids]
    lat = latencies(hit, rows, mails)
    measure = "verdict" if fault.kind == "verdict" else "verdict_to_email"
    values = list(lat[measure].values())
    base = baseline.get(measure)
    stats = percentiles(values)
    extra = None
    if base is not None and stats["p50"] is not None:
        extra = {"p50": round(float(stats["p50"]) - base, 1), "max": round(float(stats["max"]) - base, 1)}
    out = {k: v for k, v in asdict(fault).items() if k not in ("affected",)}
    out["affected_ids"] = sorted(ids)
    out.update(
        {
            "affected": len(ids),
            "down_s": round(fault.back_at - fault.started, 1) if fault.started else None,
            "recovered_after_s": round(fault.recovered_at - fault.started, 1) if fault.recovered_at else None,
            "latency_measure": f"{measure}_s",
            "affected_latency_s": stats,
            "baseline_p50_s": base,
            "extra_latency_s": extra,
        }
    )
    out.update(accounting(hit, rows, mails, windows))
    for key in ("started", "back_at", "recovered_at"):
        out.pop(key, None)
    return out


def git_rev() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True)
    return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def conditions(args: argparse.Namespace) -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "git": git_rev(),
        "cores": os.cpu_count(),
        "cpu": cpu,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "database": args.db,
        "workers": args.worker_counts,
        "phase_s": args.phase_s,
        "max_posts_per_phase": args.m or None,
        "profiled_s": args.profile or None,
        "depth": args.depth or "2N",
        "mix": MIX,
        "timings": {k: os.environ.get(k, v) for k, v in TIMINGS.items()},
    }


def summary(result: dict[str, Any]) -> None:
    print("summary")
    for p in result.get("phases", []):
        t, lat = p["throughput"], p["post_to_verdict_s"]
        print(
            f"  N={p['workers']} ({p['phase']}): {t['recordings_per_hour']} recordings/h, "
            f"{t.get('one_minute_equivalents_per_hour')} one-minute equivalents/h; "
            f"POST-to-verdict p50 {lat['p50']} s, p95 {lat['p95']} s, max {lat['max']} s"
        )
    for f in result.get("faults", []):
        print(
            f"  fault {f['name']}: affected {f['affected']}, lost {f['lost']}, dup windows "
            f"{f['duplicate_windows']}, dup e-mails {f['duplicate_emails']}, missing e-mails "
            f"{f['missing_emails']}, extra latency "
            f"{f['extra_latency_s']} ({f['latency_measure']})"
        )
    tot = result.get("totals", {})
    print(f"  totals: {json.dumps(tot)}")
    print(f"  api: {result.get('api')}")
