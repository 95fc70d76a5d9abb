"""Fixtures for the web tests: real Redis (db 7, a queue prefix per test), real PostgreSQL
(a schema per test) or a SQLite file, submissions with stored reports (no video analysis:
the report JSON and its evidence JPEGs are written here), a uvicorn server in a thread and
Debian's Chromium driven by Playwright.

Redis or PostgreSQL being down makes these tests fail, on purpose: they are not skipped.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from redis import Redis

from tests.support.elig_helpers import add_product as record_product
from tests.support.pg_schema import fresh_schema

REDIS_URL = os.environ.get("WEB_TEST_REDIS_URL", "redis://127.0.0.1:6379/7")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# A product of the catalogue, activated long ago: only a passed video opens a window.
PRODUCT = {"model": "DJI Air 3", "aircraft_sn": "1581FMG9PPM1EK73SNK5", "rc_sn": "1581FB71CL0FKKSRDVPS"}
PASSWORD = "correct horse battery"
SCREENSHOTS: list[Path] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if SCREENSHOTS:
        terminalreporter.write_sep("-", "web screenshots")
        for path in SCREENSHOTS:
            terminalreporter.write_line(str(path))


# --------------------------------------------------------------------------- databases


def _forget_connections() -> None:
    from workers.db import reset_cache
    from workers.handoff import reset_stores

    reset_cache()
    reset_stores()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    yield f"sqlite:///{tmp_path / 'vidverify.db'}"
    _forget_connections()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A URL to a fresh PostgreSQL schema, dropped afterwards."""
    with fresh_schema("web_test") as url:
        try:
            yield url
        finally:
            _forget_connections()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    """Tests taking ``db_url`` run on SQLite and on PostgreSQL."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


# --------------------------------------------------------------------------- redis + settings


@pytest.fixture
def redis_conn() -> Iterator[Redis]:
    """The web tests' Redis database, emptied before and after (RQ job ids such as
    ``vv-1-fetch-1`` are not namespaced by the queue prefix, so tests must not share them)."""
    conn = Redis.from_url(REDIS_URL)
    conn.flushdb()
    yield conn
    conn.flushdb()
    conn.close()


@pytest.fixture
def make_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, redis_conn: Redis) -> Callable[..., Any]:
    """Call with a database URL (and web options): sets the environment, returns WebSettings.
    Every test gets its own queue prefix too."""
    prefix = f"vvwebtest{uuid.uuid4().hex[:8]}"

    def configure(database_url: str, rate_per_minute: int = 100, **env: str) -> Any:
        from web.settings import WebSettings

        values = {
            "REDIS_URL": REDIS_URL,
            "DATABASE_URL": database_url,
            "VIDVERIFY_EVIDENCE_DIR": str(tmp_path / "evidence"),
            "VIDVERIFY_WORK_DIR": str(tmp_path / "work"),
            "VIDVERIFY_QUEUE_PREFIX": prefix,
            # Loopback checks resolve host names; the test machines have no DNS.
            "VIDVERIFY_ALLOW_PRIVATE": "1",
            "VIDVERIFY_WEB_SECRET": "test-secret-" + prefix,
            "VIDVERIFY_WEB_RATE_PER_MINUTE": str(rate_per_minute),
            "VIDVERIFY_WEB_REFRESH_S": "300",
            **env,
        }
        for key, value in values.items():
            monkeypatch.setenv(key, value)
        return WebSettings.from_env()

    return configure


# --------------------------------------------------------------------------- data


def add_product(database_url: str, product: dict[str, str] = PRODUCT) -> None:
    """The test product on record (activated long ago: only a passed video opens a window)."""
    record_product(database_url, product)


def evidence_jpeg(
    path: Path, title: str, lines: list[str], box_line: int | None
) -> tuple[int, int, int, int]:
    """A phone-screen-like frame with its OCR box drawn in (as the pipeline's writer does);
    returns the box (x, y, w, h)."""
    img = np.full((540, 960, 3), (38, 32, 28), np.uint8)
    cv2.rectangle(img, (0, 0), (960, 56), (64, 56, 50), -1)
    cv2.putText(img, title, (24, 38), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (255, 255, 255), 2, cv2.LINE_AA)
    box = (0, 0, 0, 0)
    for i, line in enumerate(lines):
        y = 120 + i * 60
        cv2.putText(img, line, (40, y), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (230, 230, 230), 2, cv2.LINE_AA)
        if i == box_line:
            (tw, th), _ = cv2.getTextSize(line, cv2.FONT_HERSHEY_SIMPLEX, 0.8, 2)
            box = (40, y - th, tw, th + 6)
            cv2.rectangle(img, (37, y - th - 3), (43 + tw, y + 9), (0, 215, 255), 2)
    cv2.rectangle(img, (0, 506), (300, 540), (0, 0, 0), -1)
    cv2.putText(img, title[:30], (8, 530), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 1, cv2.LINE_AA)
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), img, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return box


def small_video(path: Path, seconds: float = 30.0, fps: int = 5) -> None:
    """A short VP8 WebM (plays in Chromium) standing in for the downloaded recording."""
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"VP80"), fps, (320, 180))
    for i in range(int(seconds * fps)):
        frame = np.full((180, 320, 3), (40, 40 + i % 100, 60), np.uint8)
        cv2.putText(frame, f"{i / fps:4.1f}s", (100, 100), cv2.FONT_HERSHEY_SIMPLEX, 1, (255, 255, 255), 2)
        writer.write(frame)
    writer.release()


def flagged_report(evidence_dir: Path) -> dict[str, Any]:
    """A ``needs_review`` report with real evidence JPEGs: a low-confidence RC serial read
    and a short weak-GPS stretch."""
    from pipeline.models import Report

    rc = PRODUCT["rc_sn"]
    about = evidence_dir / "000_0003.20s.jpg"
    about_lines = ["Aircraft SN  " + PRODUCT["aircraft_sn"], "Remote Controller SN  " + rc, "Firmware  01.01"]
    box = evidence_jpeg(about, "About", about_lines, 1)
    calib = evidence_dir / "001_0012.00s.jpg"
    evidence_jpeg(calib, "Gimbal Calibration", ["Calibration complete", "100%"], 0)
    gps = evidence_dir / "002_0027.50s.jpg"
    gbox = evidence_jpeg(gps, "Camera view", ["GPS  7", "Weak GPS signal. Fly with caution"], 1)
    report = Report.model_validate(
        {
            "verdict": "needs_review",
            "reasons": ["gps_weak"],
            "uncertain": ["RC serial read with low OCR confidence (58%)"],
            "app": "dji_fly",
            "source": "https://www.youtube.com/watch?v=web-test",
            "video": {
                "duration_s": 30.0,
                "fps": 30,
                "width": 1920,
                "height": 1080,
                "frames": 900,
                "sha256": "ab" * 32,
                "codec": "h264",
            },
            "steps": [
                {
                    "name": "rc_serial",
                    "found": True,
                    "start_s": 1.6,
                    "end_s": 6.6,
                    "confidence": 0.58,
                    "detail": "RC serial read once, low confidence",
                    "evidence": [
                        {
                            "time_s": 3.2,
                            "image": str(about),
                            "note": "About page",
                            "boxes": [
                                {
                                    "text": rc,
                                    "confidence": 58.0,
                                    "x": box[0],
                                    "y": box[1],
                                    "w": box[2],
                                    "h": box[3],
                                }
                            ],
                        }
                    ],
                },
                {
                    "name": "gimbal_calibration",
                    "found": True,
                    "start_s": 8.8,
                    "end_s": 17.3,
                    "confidence": 0.93,
                    "detail": "auto calibration reached 100%",
                    "evidence": [{"time_s": 12.0, "image": str(calib), "note": "calibration done"}],
                },
                {
                    "name": "gimbal_movement",
                    "found": True,
                    "start_s": 17.3,
                    "end_s": 22.8,
                    "confidence": 0.88,
                    "detail": "pitch -90° .. 0°",
                },
                {
                    "name": "flight_status",
                    "found": True,
                    "start_s": 22.8,
                    "end_s": 25.8,
                    "confidence": 0.9,
                    "detail": "status bar normal",
                },
                {
                    "name": "camera_view",
                    "found": False,
                    "start_s": 25.8,
                    "end_s": 30.0,
                    "confidence": 0.4,
                    "detail": "GPS weak for 2.1 s",
                    "evidence": [
                        {
                            "time_s": 27.5,
                            "image": str(gps),
                            "note": "weak GPS warning",
                            "boxes": [
                                {
                                    "text": "Weak GPS signal",
                                    "confidence": 91.0,
                                    "x": gbox[0],
                                    "y": gbox[1],
                                    "w": gbox[2],
                                    "h": gbox[3],
                                }
                            ],
                        }
                    ],
                },
            ],
            "findings": [
                {
                    "reason": "gps_weak",
                    "message": "weak-GPS warning shown in the camera view",
                    "time_s": 27.5,
                    "evidence": [],
                },
            ],
            "serials": [
                {
                    "role": "rc",
                    "read": rc,
                    "raw": rc.replace("0", "O"),
                    "expected": rc,
                    "matched": True,
                    "confidence": 58.0,
                },
                {
                    "role": "aircraft",
                    "read": PRODUCT["aircraft_sn"],
                    "raw": PRODUCT["aircraft_sn"],
                    "expected": PRODUCT["aircraft_sn"],
                    "matched": True,
                    "confidence": 90.0,
                },
            ],
            "timings": {"decode": 1200.0, "ocr": 8000.0},
        }
    )
    return json.loads(report.model_dump_json())


@pytest.fixture
def product() -> Callable[[Any], None]:
    """Call with settings: records PRODUCT in the eligibility core."""
    return lambda settings: add_product(settings.database_url)


@dataclass
class Made:
    id: int
    evidence_dir: Path | None = None


@pytest.fixture
def make_submission() -> Callable[..., Made]:
    """Insert a submission row directly through the workers' DB layer.

    ``kind="flagged"`` writes a needs_review report with evidence JPEGs and a local copy of
    the recording in the work dir; ``"approved"`` / ``"rejected"`` a decided one; ``"failed"``
    a failed one; ``"queued"`` a fresh one.
    """
    counter = iter(range(1, 10_000))

    def make(settings: Any, kind: str = "flagged", minutes_ago: float = 5, with_video: bool = True) -> Made:
        from workers.db import add_event, get_database
        from workers.models import State, SubmissionRow

        add_product(settings.database_url)
        n = next(counter)
        now = datetime.now(UTC)
        created = now - timedelta(minutes=minutes_ago)
        decided = created + timedelta(seconds=70)
        row = SubmissionRow(
            idempotency_key=uuid.uuid4().hex + uuid.uuid4().hex,
            source=f"https://www.youtube.com/watch?v=test{n}{uuid.uuid4().hex[:6]}",
            source_kind="url",
            aircraft_sn=PRODUCT["aircraft_sn"],
            rc_sn=PRODUCT["rc_sn"],
            model=PRODUCT["model"],
            owner_name="Ada Lovelace",
            owner_email="ada@example.org",
            state=State.QUEUED.value,
            stage="fetch",
            attempts=1,
            stage_retries=0,
            job_id=None,
            reasons=[],
            durations={},
            created_at=created,
            updated_at=created,
            queued_at=created,
        )
        db = get_database(settings.database_url)
        with db.tx() as s:
            s.add(row)
            s.flush()
            sid = row.id
            evidence_dir = None
            if kind in ("flagged", "approved", "rejected"):
                evidence_dir = settings.evidence_dir / f"submission-{sid}" / "attempt-1"
                report = flagged_report(evidence_dir)
                if kind != "flagged":
                    report["verdict"] = kind
                    report["reasons"] = [] if kind == "approved" else ["rc_serial_mismatch"]
                row.state = State.DECIDED.value
                row.stage = None
                row.verdict = report["verdict"]
                row.reasons = report["reasons"]
                row.report_json = json.dumps(report)
                row.evidence_dir = str(evidence_dir)
                row.durations = {"fetch": 2000.0 + 100 * n, "analyse": 40_000.0 + 1000 * n}
                row.decided_at = row.updated_at = decided
                if kind == "flagged" and with_video:
                    video = settings.work_dir / f"submission-{sid}" / "video.webm"
                    small_video(video)
                    row.video_path = str(video)
            elif kind == "failed":
                row.state = State.FAILED.value
                row.stage = "fetch"
                row.last_error = "fetch failed: HTTP Error 403: Forbidden (yt-dlp)"
                row.error_kind = "permanent"
                row.updated_at = row.finished_at = decided
            add_event(s, sid, row.state, 1, f"test row ({kind})")
        return Made(id=sid, evidence_dir=evidence_dir)

    return make


# --------------------------------------------------------------------------- users, tokens, clients


@pytest.fixture
def users() -> Callable[[Any], dict[str, str]]:
    def create(settings: Any) -> dict[str, str]:
        from web.users import add_user

        add_user(settings.database_url, "rita", "reviewer", PASSWORD)
        add_user(settings.database_url, "otto", "operator", PASSWORD)
        return {"reviewer": "rita", "operator": "otto"}

    return create


@pytest.fixture
def client_for() -> Iterator[Callable[[Any], Any]]:
    """A FastAPI TestClient on an app built with the given settings."""
    from fastapi.testclient import TestClient

    from web.app import create_app

    clients: list[TestClient] = []

    def build(settings: Any) -> TestClient:
        client = TestClient(create_app(settings))
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


# --------------------------------------------------------------------------- server + browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def serve() -> Iterator[Callable[[Any], str]]:
    """Start uvicorn in a thread on a free port with the given settings; returns the base URL."""
    import uvicorn

    from web.app import create_app

    servers: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(settings: Any) -> str:
        port = _free_port()
        config = uvicorn.Config(
            create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 15
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        servers.append((server, thread))
        return f"http://127.0.0.1:{port}"

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``VIDVERIFY_SCREENSHOT_DIR`` when set (kept after the run), else a pytest temp dir."""
    chosen = os.environ.get("VIDVERIFY_SCREENSHOT_DIR")
    if chosen:
        Path(chosen).mkdir(parents=True, exist_ok=True)
        return Path(chosen)
    return tmp_path_factory.mktemp("web-screenshots")


@pytest.fixture
def screenshot(screenshot_dir: Path) -> Callable[[Any, str], Path]:
    def take(pg: Any, name: str) -> Path:
        path = screenshot_dir / f"{name}.png"
        pg.screenshot(path=str(path), full_page=True)
        SCREENSHOTS.append(path)
        print(f"screenshot: {path}")
        return path

    return take


@pytest.fixture
def login() -> Callable[[Any, str, str], None]:
    def do(pg: Any, base: str, name: str) -> None:
        pg.goto(f"{base}/login")
        pg.fill("input[name=username]", name)
        pg.fill("input[name=password]", PASSWORD)
        pg.click("button[type=submit]")
        pg.wait_for_load_state("load")

    return do
