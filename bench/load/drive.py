"""Closed-loop load: keep ``depth`` submissions outstanding (posted, no verdict yet), posting
the next recording of the mix as soon as one is decided, for as long as a phase lasts.

A closed loop measures the sustained rate (the workers never wait for work, the queue never
grows without bound) and keeps every phase's length predictable on a slow machine.
"""

from __future__ import annotations

import itertools
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

from bench.load.client import Case, Client, Posted
from bench.load.measure import FINAL_STATES, Sampler
from bench.load.sinks import VideoHost


class Driver:
    def __init__(
        self, clients: list[Client], sampler: Sampler, videos: VideoHost, sequence: list[Case]
    ) -> None:
        self.clients = clients
        self.sampler = sampler
        self.videos = videos
        self.sequence = itertools.cycle(sequence)
        self.items: list[Posted] = []
        self.counter = itertools.count(1)
        self.pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="poster")
        self.futures: list[Future[Posted]] = []
        self.lock = threading.Lock()

    def post_one(self, phase: str, case: Case | None = None) -> Future[Posted]:
        n = next(self.counter)
        case = case or next(self.sequence)
        client = self.clients[n % len(self.clients)]
        item = Posted(
            n=n,
            case=case,
            client=client.name,
            url=self.videos.url(n, case.file),
            email=f"owner-{n}@load.test",
            phase=phase,
        )
        with self.lock:
            self.items.append(item)
        future = self.pool.submit(client.post, item)
        self.futures.append(future)
        return future

    def outstanding(self, phase: str | None = None) -> list[Posted]:
        """Posted items without a final state yet (a POST still being retried counts)."""
        rows = self.sampler.snapshot()
        with self.lock:
            items = [i for i in self.items if phase is None or i.phase == phase]
        out = []
        for item in items:
            if item.id is None:
                if not item.accepted_at and (not item.posted_at or time.time() - item.posted_at < 130):
                    out.append(item)
                continue
            row = rows.get(item.id)
            if row is None or row.state not in FINAL_STATES:
                out.append(item)
        return out

    def run(
        self,
        phase: str,
        depth: int,
        seconds: float,
        stop: threading.Event | None = None,
        max_posts: int = 0,
    ) -> None:
        """Keep ``depth`` outstanding for ``seconds`` (or until ``stop`` is set, or until
        ``max_posts`` have been posted in this phase)."""
        end = time.time() + seconds
        while time.time() < end and not (stop and stop.is_set()):
            posted = len(self.phase_items(phase))
            if max_posts and posted >= max_posts:
                return
            missing = depth - len(self.outstanding())
            if max_posts:
                missing = min(missing, max_posts - posted)
            for _ in range(max(0, missing)):
                self.post_one(phase)
            time.sleep(0.25)

    def drain(self, phase: str | None, timeout: float) -> bool:
        """Wait until every item (of ``phase``) is final; False on timeout."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if not self.outstanding(phase):
                return True
            time.sleep(0.5)
        return False

    def phase_items(self, phase: str) -> list[Posted]:
        with self.lock:
            return [i for i in self.items if i.phase == phase]

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
