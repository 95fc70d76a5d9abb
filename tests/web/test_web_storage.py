"""The reviewer's media read through the S3 storage (moto's real S3 server): frames with their
content type and size, the recording in byte ranges, only a submission's own keys, roles
unchanged. The local storage is what the other web tests use."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.s3_server import S3Server, s3_server
from web.media import byte_range
from workers.storage import open_storage, reset_storage

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    with s3_server() as server:
        yield server


def _login(client: Any, name: str) -> None:
    form = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    response = client.post(
        "/login", data={"username": name, "password": PASSWORD, "csrf": token}, follow_redirects=False
    )
    assert response.status_code == 303, response.text


@pytest.fixture
def on_s3(
    s3: S3Server, make_settings: Any, sqlite_url: str, users: Any, client_for: Any, make_submission: Any
):
    """A flagged submission whose frames and recording are moved into the bucket (as the
    workers would have put them), its report naming keys; the local copies deleted."""
    from workers.db import get_database
    from workers.models import SubmissionRow

    bucket = s3.new_bucket()
    settings = make_settings(sqlite_url, **s3.env(bucket))
    users(settings)
    made = make_submission(settings, "flagged")
    storage = open_storage(settings.workers)
    with get_database(settings.database_url).tx() as s:
        row = s.get(SubmissionRow, made.id)
        report = json.loads(row.report_json)
        for step in report["steps"]:
            for ev in step.get("evidence") or []:
                key = f"submission-{made.id}/attempt-1/{ev['image'].rsplit('/', 1)[-1]}"
                storage.evidence.put_file(key, settings.evidence_dir / key)
                ev["image"] = key
        video = f"submission-{made.id}/video.webm"
        storage.downloads.put_file(video, settings.work_dir / video)
        row.report_json = json.dumps(report)
        row.video_path = video
        row.evidence_dir = storage.evidence.location(f"submission-{made.id}/attempt-1")
    size = (settings.work_dir / video).stat().st_size
    for folder in (settings.evidence_dir, settings.work_dir):
        for path in sorted(folder.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
    yield settings, client_for(settings), made, bucket, size
    reset_storage()


def test_frames_and_recording_come_from_the_bucket(on_s3: Any, s3: S3Server) -> None:
    settings, client, made, bucket, size = on_s3
    for path in (f"/review/{made.id}/frames/0", f"/review/{made.id}/video"):
        assert client.get(path, follow_redirects=False).status_code == 303  # log in first
    _login(client, "rita")
    page = client.get(f"/review/{made.id}")
    assert page.status_code == 200 and "<video" in page.text
    # the frames' size (which scales the OCR boxes) is read from the objects' first bytes
    assert page.text.count('data-ratio="960 / 540"') == 3

    image = client.get(f"/review/{made.id}/frames/0")
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    key = f"vv/evidence/submission-{made.id}/attempt-1/000_0003.20s.jpg"
    assert image.content == s3.client().get_object(Bucket=bucket, Key=key)["Body"].read()
    assert client.get(f"/review/{made.id}/frames/3").status_code == 404

    whole = client.get(f"/review/{made.id}/video")
    assert whole.status_code == 200 and whole.headers["content-type"] == "video/webm"
    assert len(whole.content) == size and whole.headers["accept-ranges"] == "bytes"
    part = client.get(f"/review/{made.id}/video", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == whole.content[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{size}"
    tail = client.get(f"/review/{made.id}/video", headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == whole.content[-10:]
    past = client.get(f"/review/{made.id}/video", headers={"Range": f"bytes={size}-"})
    assert past.status_code == 416 and past.headers["content-range"] == f"bytes */{size}"


def test_a_report_cannot_point_at_other_keys(on_s3: Any) -> None:
    from workers.db import get_database
    from workers.models import SubmissionRow

    settings, client, made, _bucket, _size = on_s3
    other = f"submission-{made.id + 1}/attempt-1/000_0003.20s.jpg"
    open_storage(settings.workers).evidence.put_bytes(other, b"\xff\xd8 someone else's")
    _login(client, "rita")
    for name in (other, f"submission-{made.id}/../submission-{made.id + 1}/x.jpg", "/etc/passwd", "s3://x/y"):
        with get_database(settings.database_url).tx() as s:
            row = s.get(SubmissionRow, made.id)
            report = json.loads(row.report_json)
            report["steps"][0]["evidence"][0]["image"] = name
            row.report_json = json.dumps(report)
            row.video_path = name
        assert client.get(f"/review/{made.id}/frames/0").status_code == 404, name
        assert client.get(f"/review/{made.id}/video").status_code == 404, name
        assert client.get(f"/review/{made.id}").status_code == 200  # the page still renders


def test_byte_range_parsing() -> None:
    assert byte_range(None, 100) is None
    assert byte_range("bytes=0-9", 100) == (0, 9)
    assert byte_range("bytes=90-", 100) == (90, 99)
    assert byte_range("bytes=90-500", 100) == (90, 99)
    assert byte_range("bytes=-5", 100) == (95, 99)
    assert byte_range("bytes=-500", 100) == (0, 99)
    assert byte_range("bytes=100-", 100) == (100, 99)  # unsatisfiable: 416
    for ignored in ("bytes=5-1", "bytes=0-1,5-6", "items=0-1", "bytes=-", "bytes=a-b"):
        assert byte_range(ignored, 100) is None
