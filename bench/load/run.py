"""``make loadtest``: the real stack under load, with faults; writes ``bench/load.json``.

Phases, each printed as it goes:
1. idle: one recording of just over a minute, alone, twice (the second warm);
2. for each N in ``--workers`` (default 1, 2, 3): N workers, a closed loop keeping
   ``--depth`` submissions outstanding (default 2N) for ``--phase-s`` seconds, then drained;
3. faults (``--fault-workers`` workers, the same closed loop): a worker SIGKILLed mid-analysis
   and started again, Redis restarted empty, PostgreSQL restarted, each after the previous one
   has recovered; meanwhile the SMTP server is down for ``--smtp-down-s``;
4. the accounting over every submission: lost, failed, duplicate windows and e-mails, every
   verdict against the fixture manifest, and every submission read back through the API.
``--soak MIN`` adds a phase of MIN minutes at the largest N before the faults.
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.load import faults as faultlib
from bench.load.client import IDLE_CASE, Client, add_products, create_token, load_cases, mix_sequence
from bench.load.drive import Driver
from bench.load.measure import FINAL_STATES, Sampler
from bench.load.profile import Profiler
from bench.load.report import (
    accounting,
    conditions,
    fault_figures,
    latencies,
    phase_figures,
    summary,
    windows_per_product,
)
from bench.load.system import System

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "bench" / "load.json"
GOALS = {"one_minute_recordings_per_hour": 600, "idle_one_minute_verdict_s": 30}


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n", 1)[0])
    p.add_argument("--workers", default="1,2,3", help="comma list of worker counts (default 1,2,3)")
    p.add_argument("--phase-s", type=float, default=50, help="seconds of load per worker count")
    p.add_argument("--depth", type=int, default=0, help="outstanding submissions (default 2N)")
    p.add_argument("--m", type=int, default=0, help="at most M submissions per phase (default: no cap)")
    p.add_argument("--fault-workers", type=int, default=2)
    p.add_argument(
        "--faults",
        default="kill,redis,postgres,smtp",
        help="comma list of kill, redis, postgres, smtp; 'none' for no fault phase",
    )
    p.add_argument("--smtp-down-s", type=float, default=60)
    p.add_argument("--soak", type=float, default=0, metavar="MIN", help="a soak phase of MIN minutes")
    p.add_argument("--idle", type=int, default=2, help="idle one-minute recordings (0: skip)")
    p.add_argument(
        "--profile",
        type=float,
        default=0,
        metavar="S",
        help="py-spy over worker 0 for S seconds of the last load phase",
    )
    p.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    p.add_argument("--out", type=Path, default=OUT)
    p.add_argument("--keep", action="store_true", help="keep the temporary directory (logs)")
    p.add_argument("--drain-s", type=float, default=240, help="longest wait for a phase to drain")
    args = p.parse_args(argv)
    args.worker_counts = [int(x) for x in args.workers.split(",") if x.strip()]
    args.fault_list = [] if args.faults == "none" else [x.strip() for x in args.faults.split(",") if x]
    unknown = set(args.fault_list) - {"kill", "redis", "postgres", "smtp"}
    if unknown or not args.worker_counts or min(args.worker_counts) < 1:
        p.error(f"bad --workers or --faults ({', '.join(sorted(unknown)) or args.workers})")
    return args


def say(msg: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {msg}", flush=True)


class Progress(threading.Thread):
    """A status line every ``every`` seconds: posted, done, waiting, running, CPU."""

    def __init__(self, driver: Driver, sampler: Sampler, every: float = 10) -> None:
        super().__init__(daemon=True, name="progress")
        self.driver, self.sampler, self.every = driver, sampler, every
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.every):
            rows = self.sampler.snapshot().values()
            done = sum(r.state in FINAL_STATES for r in rows)
            last = self.sampler.timeline[-1] if self.sampler.timeline else {}
            cpu = sum(last.get("cpu", {}).values())
            say(
                f"  posted {len(self.driver.items)}, final {done}, waiting {last.get('waiting', '?')}, "
                f"running {last.get('running', '?')}, CPU {cpu:.0f} % of a core"
            )


def idle_phase(system: System, driver: Driver, sampler: Sampler, count: int) -> list[dict[str, Any]]:
    """One ~1-minute recording at a time on an idle system, one worker."""
    case = load_cases()[IDLE_CASE]
    out = []
    for k in range(count):
        driver.post_one("idle", case).result(timeout=60)
        driver.drain("idle", 180)
        item = driver.phase_items("idle")[-1]
        deadline = time.time() + 30  # and its e-mail
        while time.time() < deadline and item.email not in {
            r for m in system.smtp.snapshot() for r in m.recipients
        }:
            time.sleep(0.5)
        lat = latencies([item], sampler.snapshot(), system.smtp.snapshot())
        out.append(
            {
                "run": k + 1,
                "recording_s": case.duration,
                "file": case.file,
                "post_to_verdict_s": round(lat["verdict"].get(item.id, -1), 1),
                "post_to_email_s": round(lat["email"].get(item.id, -1), 1),
            }
        )
        say(
            f"idle {k + 1}: {case.file} ({case.duration:.0f} s) verdict after "
            f"{out[-1]['post_to_verdict_s']} s, e-mail after {out[-1]['post_to_email_s']} s"
        )
    return out


def load_phase(
    name: str,
    n: int,
    args: argparse.Namespace,
    system: System,
    driver: Driver,
    sampler: Sampler,
    seconds: float,
) -> dict[str, Any]:
    system.scale(n)
    system.wait_workers_ready()
    depth = args.depth or 2 * n
    say(f"phase {name}: {n} worker(s), {depth} outstanding, {seconds:.0f} s")
    since = time.time()
    profiler = None
    if args.profile and n == max(args.worker_counts) and name != "soak":
        profiler = Profiler(system.workers[0].pid or 0, min(args.profile, seconds))
        profiler.start()
    driver.run(name, depth, seconds, max_posts=args.m)
    posting_until = time.time()
    if not driver.drain(name, args.drain_s):
        say(f"phase {name}: not drained after {args.drain_s:.0f} s")
    time.sleep(2)  # let the last e-mails arrive
    figures = phase_figures(
        name,
        n,
        driver.phase_items(name),
        sampler.snapshot(),
        system.smtp.snapshot(),
        sampler.timeline,
        sampler.procs,
        since,
        posting_until,
        time.time(),
    )
    if profiler is not None:
        profiler.join(timeout=args.profile + 90)
        figures["profile"] = profiler.result
    t, lat = figures["throughput"], figures["post_to_verdict_s"]
    say(
        f"phase {name}: {t['verdicts']} verdicts, {t['recordings_per_hour']} recordings/h "
        f"({t.get('one_minute_equivalents_per_hour')} one-minute equivalents/h), POST-to-verdict "
        f"p50 {lat['p50']} s p95 {lat['p95']} s max {lat['max']} s"
    )
    return figures


def fault_phase(args: argparse.Namespace, system: System, driver: Driver) -> list[faultlib.Fault]:
    system.scale(args.fault_workers)
    system.wait_workers_ready()
    depth = args.depth or 2 * args.fault_workers
    stop = threading.Event()
    poster = threading.Thread(target=driver.run, args=("faults", depth, 3600, stop, args.m), daemon=True)
    say(f"phase faults: {args.fault_workers} workers, {depth} outstanding: {', '.join(args.fault_list)}")
    poster.start()
    done: list[faultlib.Fault] = []
    steps = {
        "kill": lambda: faultlib.kill_worker(system, driver),
        "redis": lambda: faultlib.restart_redis(system, driver),
        "postgres": lambda: faultlib.restart_postgres(system, driver),
        "smtp": lambda: faultlib.smtp_down(system, driver, args.smtp_down_s),
    }

    def report(fault: faultlib.Fault) -> None:
        done.append(fault)
        took = f"{fault.recovered_at - fault.started:.0f} s" if fault.recovered_at else "not in time"
        say(f"fault {fault.name}: {len(fault.affected)} affected, recovered: {took}")

    # The mail server's outage runs beside the others (its cost is in e-mail latency, theirs
    # in verdict latency), so the default run stays under ten minutes.
    mail = threading.Thread(target=lambda: report(steps["smtp"]()), daemon=True, name="smtp-fault")
    try:
        # The loop under way first: a submission of this phase being worked on (at most
        # 8 s). Not a fixed sleep: a capped run (--m) may be done with its posts by then,
        # and a fault with nothing in flight measures nothing.
        faultlib.wait_running(driver, "faults", 8)
        if "smtp" in args.fault_list:
            say(f"fault smtp_down: the mail server is down for {args.smtp_down_s:.0f} s")
            mail.start()
        for key in args.fault_list:
            if key != "smtp":
                say(f"fault {key}: starting")
                report(steps[key]())
                time.sleep(3)
        if mail.is_alive() or "smtp" in args.fault_list:
            mail.join(timeout=args.smtp_down_s + 240)
    finally:
        stop.set()
        poster.join(timeout=150)
    if not driver.drain("faults", args.drain_s):
        say(f"phase faults: not drained after {args.drain_s:.0f} s")
    return done


def fault_baseline(
    driver: Driver,
    faults: list[faultlib.Fault],
    rows: dict[int, Any],
    mails: list[Any],
    phases: list[dict[str, Any]],
    workers: int,
) -> dict[str, float | None]:
    """What the affected submissions are held against: the fault phase's own submissions that
    no fault touched (same minutes, same machine load), p50; the fault-free phase with as many
    workers when fewer than three were untouched."""
    touched = {i for f in faults for i in f.affected}
    calm = [i for i in driver.phase_items("faults") if i.id is not None and i.id not in touched]
    lat = latencies(calm, rows, mails)
    base = next((p for p in phases if p["workers"] == workers), phases[-1])
    out: dict[str, float | None] = {}
    for key, fallback in (("verdict", "post_to_verdict_s"), ("verdict_to_email", "verdict_to_email_s")):
        values = sorted(lat[key].values())
        out[key] = round(statistics.median(values), 1) if len(values) >= 3 else base[fallback]["p50"]
    out["untouched_submissions"] = len(calm)
    return out


def api_check(clients: list[Client], driver: Driver) -> dict[str, int]:
    """Read every accepted submission back through the API, as its client."""
    by_name = {c.name: c for c in clients}
    seen = mismatched = 0
    for item in driver.items:
        if item.id is None:
            continue
        data = by_name[item.client].get(item.id)
        if data is None or data["state"] not in FINAL_STATES:
            mismatched += 1
            continue
        seen += 1
        if data["machine_verdict"] != item.case.verdict:
            mismatched += 1
    return {"read_back": seen, "not_final_or_wrong": mismatched}


def run(args: argparse.Namespace) -> dict[str, Any]:
    result: dict[str, Any] = {"conditions": conditions(args), "goals": GOALS}
    say(
        f"load bench: workers {args.worker_counts}, {args.phase_s:.0f} s each, faults {args.fault_list}, "
        f"{args.db}"
    )
    with System(args.db, keep=args.keep) as system:
        say(
            f"stack up in {system.dir}: redis :{system.redis.port}, "
            f"{'postgres :' + str(system.postgres.port) if system.postgres else 'sqlite'}, "
            f"serve {system.serve.url if system.serve else '?'}, smtp :{system.smtp.port}"
        )
        env = system.env()
        cases = load_cases()
        add_products(env, cases)
        clients = [
            Client(system.serve.url, name, create_token(env, name))  # type: ignore[union-attr]
            for name in ("shop-a", "shop-b", "shop-c")
        ]
        sampler = Sampler(system.database_url, system.redis.url, system.children)
        sampler.start()
        driver = Driver(clients, sampler, system.videos, mix_sequence(cases, 500))
        progress = Progress(driver, sampler)
        progress.start()
        try:
            system.scale(1)
            system.wait_workers_ready()
            result["idle"] = idle_phase(system, driver, sampler, args.idle) if args.idle else []
            phases = [
                load_phase(f"n{n}", n, args, system, driver, sampler, args.phase_s)
                for n in args.worker_counts
            ]
            if args.soak:
                n = max(args.worker_counts)
                phases.append(load_phase("soak", n, args, system, driver, sampler, args.soak * 60))
            result["phases"] = phases
            faults = fault_phase(args, system, driver) if args.fault_list else []
            time.sleep(3)
            rows, mails = sampler.snapshot(), system.smtp.snapshot()
            windows = windows_per_product(system.database_url)
            baseline = fault_baseline(driver, faults, rows, mails, phases, args.fault_workers)
            result["fault_baseline"] = baseline
            result["faults"] = [
                fault_figures(f, driver.items, rows, mails, windows, baseline) for f in faults
            ]
            if faults:
                items = driver.phase_items("faults")
                fp = phase_figures(
                    "faults",
                    args.fault_workers,
                    items,
                    rows,
                    mails,
                    sampler.timeline,
                    sampler.procs,
                    items[0].posted_at if items else 0,
                    time.time(),
                    time.time(),
                )
                result["fault_phase"] = fp
            result["totals"] = accounting(driver.items, rows, mails, windows)
            result["totals"]["wrong_verdicts"] = sum(len(p["wrong_verdicts"]) for p in phases) + len(
                result.get("fault_phase", {}).get("wrong_verdicts", [])
            )
            result["totals"]["worker_restarts_by_supervisor"] = system.restarts
            result["api"] = api_check(clients, driver)
            result["timeline"] = [
                {k: v for k, v in p.items() if k != "cpu"}
                | {"cpu_total_pct": round(sum(p.get("cpu", {}).values()), 1)}
                for p in sampler.timeline
            ]
        finally:
            progress.stopped.set()
            sampler.stop()
            driver.close()
            for c in clients if "clients" in locals() else []:
                c.close()
            if args.keep:
                say(f"logs kept in {system.logs}")
    return result


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)

    def terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    started = time.time()
    try:
        result = run(args)
    except KeyboardInterrupt:
        say("interrupted; every child process stopped")
        return 130
    result["conditions"]["wall_s"] = round(time.time() - started, 1)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    summary(result)
    say(f"wrote {args.out} in {result['conditions']['wall_s']:.0f} s")
    tot = result.get("totals", {})
    bad = [
        k
        for k in ("lost", "duplicate_windows", "duplicate_emails", "missing_emails", "wrong_verdicts")
        if tot.get(k, 1)
    ]
    if bad:
        say(f"FAILED: {', '.join(bad)} not 0")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
