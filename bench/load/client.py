"""The bench's API clients: the recording mix, the product records it claims, tokens, and
posting through ``POST /api/submissions`` the way an intake client would (retrying a refused
or failed request with the same body: the API is idempotent for the same link and aircraft).
"""

from __future__ import annotations

import json
import random
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.load.stack import VIDVERIFY

MANIFEST = Path(__file__).resolve().parents[2] / "fixtures" / "videos" / "manifest.json"

# The share of each machine verdict in a realistic day, per the issue: mostly passes, a good
# share of rejections, a few cases for a person.
MIX = {"approved": 0.5, "rejected": 0.4, "needs_review": 0.1}
IDLE_CASE = "ok_long_calibration.mp4"  # the one fixture over a minute (67 s)


@dataclass(frozen=True)
class Case:
    file: str
    verdict: str
    reasons: tuple[str, ...]
    duration: float
    product: dict[str, str]


def load_cases() -> dict[str, Case]:
    data = json.loads(MANIFEST.read_text())
    return {
        c["file"]: Case(
            c["file"],
            c["expected_verdict"],
            tuple(sorted(c["expected_reasons"])),
            float(c.get("duration") or 0),
            c["product"],
        )
        for c in data["cases"]
    }


def mix_sequence(cases: dict[str, Case], count: int, seed: int = 16) -> list[Case]:
    """``count`` cases drawn with the ``MIX`` shares (a fixed seed: every run posts the same
    sequence), cycling through the fixtures of each verdict so all products appear."""
    rng = random.Random(seed)
    pools = {
        v: sorted((c for c in cases.values() if c.verdict == v and c.file != IDLE_CASE), key=lambda c: c.file)
        for v in MIX
    }
    for pool in pools.values():
        rng.shuffle(pool)
    taken = dict.fromkeys(MIX, 0)
    out = []
    for _ in range(count):
        verdict = rng.choices(list(MIX), weights=list(MIX.values()))[0]
        pool = pools[verdict]
        out.append(pool[taken[verdict] % len(pool)])
        taken[verdict] += 1
    return out


def add_products(env: dict[str, str], cases: dict[str, Case]) -> int:
    """Every fixture's product, activated long ago (so a recording is needed), in one import."""
    activated = (datetime.now(UTC) - timedelta(days=200)).isoformat()
    seen: dict[str, dict[str, Any]] = {}
    for case in cases.values():
        p = case.product
        seen.setdefault(
            p["aircraft_sn"],
            {
                "aircraft_sn": p["aircraft_sn"],
                "rc_sn": p["rc_sn"],
                "model": p["model"],
                "region": "US",
                "activated_at": activated,
            },
        )
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(list(seen.values()), fh)
    subprocess.run([str(VIDVERIFY), "products", "import", fh.name], env=env, check=True, capture_output=True)
    Path(fh.name).unlink()
    return len(seen)


def create_token(env: dict[str, str], name: str) -> str:
    out = subprocess.run(
        [str(VIDVERIFY), "tokens", "add", name], env=env, check=True, capture_output=True, text=True
    )
    return out.stdout.strip().splitlines()[0]


@dataclass
class Posted:
    """One submission as the client saw it."""

    n: int
    case: Case
    client: str
    url: str
    email: str
    phase: str
    posted_at: float = 0.0  # the first attempt
    accepted_at: float = 0.0  # the 202
    id: int | None = None
    tries: int = 0
    errors: list[str] = field(default_factory=list)


class Client:
    """One API client (one token)."""

    def __init__(self, base_url: str, name: str, token: str) -> None:
        self.name = name
        self.http = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)

    def post(self, item: Posted, give_up_s: float = 120) -> Posted:
        """POST until a 202 (or ``give_up_s``): 5xx and connection errors are retried after a
        second, as a client with a retry policy does; a 4xx is the bench's own bug."""
        p = item.case.product
        body = {
            "youtube_url": item.url,
            "model": p["model"],
            "aircraft_sn": p["aircraft_sn"],
            "rc_sn": p["rc_sn"],
            "owner_name": f"Load {item.n}",
            "owner_email": item.email,
        }
        item.posted_at = time.time()
        while True:
            item.tries += 1
            try:
                r = self.http.post("/api/submissions", json=body)
                if r.status_code == 202:
                    item.id = r.json()["id"]
                    item.accepted_at = time.time()
                    return item
                if r.status_code < 500 and r.status_code != 429:
                    raise RuntimeError(f"POST refused ({r.status_code}): {r.text[:300]}")
                item.errors.append(f"{r.status_code}")
            except httpx.TransportError as exc:
                item.errors.append(type(exc).__name__)
            if time.time() - item.posted_at > give_up_s:
                return item
            time.sleep(1.0)

    def get(self, submission_id: int) -> dict[str, Any] | None:
        try:
            r = self.http.get(f"/api/submissions/{submission_id}")
        except httpx.TransportError:
            return None
        return r.json() if r.status_code == 200 else None

    def close(self) -> None:
        self.http.close()
