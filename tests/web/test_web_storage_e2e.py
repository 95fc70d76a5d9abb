"""Issue #16's test: machines that share no disk. The API (``vidverify serve``), a fetch worker
and an analysis worker run as separate processes, each with its own empty evidence and work
folders and only the S3 storage in common (moto's real S3 server on 127.0.0.1), on real Redis
and PostgreSQL, with the real pipeline on a fixture video served over HTTP. A recording posted
to the API is fetched, analysed, and its reviewer page shows the frames: fetched over HTTP as a
reviewer, byte for byte the stored objects, and looked at in Chromium."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.elig_helpers import add_product
from tests.support.fixture_videos import FIXTURES as VIDEOS
from tests.support.fixture_videos import ROOT
from tests.support.page_wait import wait_for
from tests.support.s3_server import S3Server, s3_server
from tests.support.serve_run import served
from tests.support.worker_procs import VideoServer, Workers

pytestmark = pytest.mark.slow

CASE = "rej_gimbal_calibration_not_found.mp4"
PASSWORD = "correct horse battery"
FINAL = {"decided", "reviewed", "window_issued", "notified", "failed"}


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    with s3_server() as server:
        yield server


@pytest.fixture
def video_server() -> Iterator[VideoServer]:
    server = VideoServer()
    server.thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


def machine(base: dict[str, str], root: Path, **extra: str) -> dict[str, str]:
    """One machine's environment: its own empty folders, the shared bucket."""
    for name in ("evidence", "work"):
        (root / name).mkdir(parents=True)
    return {
        **base,
        "VIDVERIFY_EVIDENCE_DIR": str(root / "evidence"),
        "VIDVERIFY_WORK_DIR": str(root / "work"),
        **extra,
    }


def files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def reviewer_login(client: httpx.Client) -> None:
    form = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    response = client.post("/login", data={"username": "rita", "password": PASSWORD, "csrf": token})
    assert response.status_code == 303, response.text


def test_api_fetch_and_analysis_on_separate_machines_share_only_s3(
    pg_url: str,
    make_settings: Any,
    s3: S3Server,
    video_server: VideoServer,
    tmp_path: Path,
    page: Any,
    login: Any,
    screenshot: Any,
) -> None:
    from web.tokens import create_token
    from web.users import add_user

    case = next(c for c in json.loads((VIDEOS / "manifest.json").read_text())["cases"] if c["file"] == CASE)
    product = case["product"]
    bucket = s3.new_bucket()
    make_settings(pg_url, VIDVERIFY_ALLOWED_HOSTS="127.0.0.1", VIDVERIFY_WEB_SECRET="e2e-storage-secret")
    base = {**os.environ, **s3.env(bucket), "OMP_THREAD_LIMIT": "1", "VIDVERIFY_STALE_AFTER_S": "60"}
    api_env = machine(base, tmp_path / "api")
    fetch_env = machine(base, tmp_path / "fetch")
    # the download is kept, so the reviewer page has a recording to stream from the bucket too
    analyse_env = machine(base, tmp_path / "analyse", VIDVERIFY_KEEP_DOWNLOADS="1")
    add_product(pg_url, product)
    add_user(pg_url, "rita", "reviewer", PASSWORD)
    token = create_token(pg_url, "e2e")

    (tmp_path / "logs").mkdir()
    workers = Workers(tmp_path / "logs")
    started = time.monotonic()
    try:
        workers.start(fetch_env, "--queues", "fetch", name="fetch-machine")
        workers.start(analyse_env, "--queues", "analyse", name="analysis-machine")
        with served(ROOT, env=api_env) as api:
            body = {
                "youtube_url": video_server.url(f"/video/{CASE}"),
                "model": product["model"],
                "aircraft_sn": product["aircraft_sn"],
                "rc_sn": product["rc_sn"],
                "owner_name": "Ada Lovelace",
                "owner_email": "ada@example.org",
            }
            auth = {"Authorization": f"Bearer {token}"}
            posted = httpx.post(f"{api}/api/submissions", json=body, headers=auth, timeout=30)
            assert posted.status_code == 202, posted.text
            sid = posted.json()["id"]
            deadline = time.monotonic() + 600
            while (state := httpx.get(f"{api}/api/submissions/{sid}", headers=auth).json())[
                "state"
            ] not in FINAL:
                assert time.monotonic() < deadline, f"no verdict in 600 s: {state}\n{workers.logs()}"
                time.sleep(1)
            assert state["state"] == "decided", f"{state}\n{workers.logs()}"
            assert (state["machine_verdict"], state["reasons"]) == (
                case["expected_verdict"],
                case["expected_reasons"],
            )
            elapsed = time.monotonic() - started

            # Everything is in the bucket; no machine kept a file on its own disk.
            keys = s3.keys(bucket)
            frames = [
                k
                for k in keys
                if k.startswith(f"vv/evidence/submission-{sid}/attempt-1/") and k.endswith(".jpg")
            ]
            assert frames, keys
            assert f"vv/evidence/submission-{sid}/attempt-1/report.json" in keys
            assert f"vv/downloads/submission-{sid}/video.mp4" in keys
            for name in ("api", "fetch", "analyse"):
                assert files(tmp_path / name) == [], name

            # The reviewer page, over HTTP: every frame it shows comes from the bucket.
            with httpx.Client(base_url=api, timeout=30) as reviewer:
                assert reviewer.get(f"/review/{sid}/frames/0").status_code in (303, 307)  # not logged in
                reviewer_login(reviewer)
                html = reviewer.get(f"/review/{sid}")
                assert html.status_code == 200
                shown = sorted({int(n) for n in re.findall(rf"/review/{sid}/frames/(\d+)", html.text)})
                assert shown and len(shown) <= len(frames), (shown, frames)
                stored = {s3.client().get_object(Bucket=bucket, Key=k)["Body"].read() for k in frames}
                served_bytes = set()
                for n in shown:
                    image = reviewer.get(f"/review/{sid}/frames/{n}")
                    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
                    assert image.content[:2] == b"\xff\xd8"
                    served_bytes.add(image.content)
                assert served_bytes <= stored and len(served_bytes) == len(shown)
                assert reviewer.get(f"/review/{sid}/frames/{shown[-1] + 1}").status_code == 404
                assert "<video" in html.text
                part = reviewer.get(f"/review/{sid}/video", headers={"Range": "bytes=0-1023"})
                assert part.status_code == 206 and len(part.content) == 1024
                assert part.headers["content-range"] == f"bytes 0-1023/{(VIDEOS / CASE).stat().st_size}"

            # And in Chromium: the frames load and have their size.
            login(page, api, "rita")
            page.goto(f"{api}/review/{sid}")
            wait_for(page, "Array.from(document.images).every(i => i.complete)")
            widths = page.eval_on_selector_all("#frames img", "imgs => imgs.map(i => i.naturalWidth)")
            assert widths and all(w > 0 for w in widths), widths
            screenshot(page, "storage-s3-review")
    finally:
        workers.stop_all()
    print(f"API + fetch + analysis on S3: verdict in {elapsed:.0f} s")
