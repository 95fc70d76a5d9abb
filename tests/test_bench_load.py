"""The load bench itself, run tiny: its own Redis and PostgreSQL, ``vidverify serve``, one
worker, three submissions through the API, one SIGKILL of the worker mid-analysis. What is
checked is the bench's accounting (every submission accounted for, none lost or doubled,
latencies measured) and that it leaves no process behind, not the speed figures.
"""

from __future__ import annotations

import json
from pathlib import Path

import psutil
import pytest

from bench.load.run import main

pytestmark = pytest.mark.slow


def _bench_children() -> set[int]:
    me = psutil.Process()
    return {p.pid for p in me.children(recursive=True)}


def test_tiny_load_run_with_a_worker_kill(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A dead worker is noticed after 8 s instead of the bench's 20 s: the test stays short.
    monkeypatch.setenv("VIDVERIFY_STALE_AFTER_S", "8")
    monkeypatch.setenv("VIDVERIFY_REAP_INTERVAL_S", "1")
    # Progress reaches the database twice a second: a recording analysed in two seconds is
    # still seen mid-analysis, where the bench's kill waits for it.
    monkeypatch.setenv("VIDVERIFY_HEARTBEAT_S", "0.5")
    out = tmp_path / "load.json"
    before = _bench_children()
    code = main(
        [
            "--workers",
            "1",
            "--m",
            "3",
            "--phase-s",
            "90",
            "--faults",
            "kill",
            "--fault-workers",
            "1",
            "--idle",
            "0",
            "--out",
            str(out),
        ]
    )
    assert _bench_children() - before == set(), "the bench left child processes running"
    result = json.loads(out.read_text())
    assert code == 0, result["totals"]

    totals = result["totals"]
    assert totals["posted"] == totals["accepted"] == 6  # 3 in the load phase, 3 during the fault
    assert (totals["lost"], totals["duplicate_windows"], totals["duplicate_emails"]) == (0, 0, 0)
    assert totals["missing_emails"] == 0 and totals["wrong_verdicts"] == 0
    assert result["api"] == {"read_back": 6, "not_final_or_wrong": 0}

    (phase,) = result["phases"]
    lat = phase["post_to_verdict_s"]
    assert lat["n"] == 3 and 0 < lat["p50"] <= lat["p95"] <= lat["max"]
    assert phase["throughput"]["recordings_per_hour"] > 0
    assert "worker-0" in phase["processes"] and phase["processes"]["worker-0"]["rss_peak_mb"] > 50

    (fault,) = result["faults"]
    assert fault["name"] == "worker_sigkill" and fault["affected"] == 1, fault
    assert fault["lost"] == 0 and fault["reprocessed"] == 1  # the killed analysis ran again
    # The killed one waited for the staleness limit: it cost at least that much.
    assert fault["extra_latency_s"]["max"] > 0
    assert result["conditions"]["timings"]["VIDVERIFY_STALE_AFTER_S"] == "8"
