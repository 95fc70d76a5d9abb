"""The jobs' files through the storage, in-process: with S3 (moto's real server) the download,
the frames and the report go to the bucket and nothing stays on the local disks; with the
default local folders the files are where they always were. The pipeline is a stub that
writes real JPEGs (the end-to-end test in ``test_work_storage_e2e`` runs the real one)."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image

from pipeline.models import Evidence, Reason, Report, StepName, StepResult, Verdict
from tests.support.elig_helpers import add_product
from tests.support.fixture_videos import FIXTURES as VIDEOS
from tests.support.s3_server import S3Server
from workers import jobs, retention, service
from workers.config import Settings
from workers.db import get_database, utc_now
from workers.models import State, SubmissionRow
from workers.storage import reset_storage

PRODUCT = {"aircraft_sn": "1581FMG9PPM1EK73SNK5", "rc_sn": "1581FB71CL0FKKSRDVPS", "model": "DJI Air 3"}
CLIP = "rej_video_unreadable.mp4"


def files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def stub_pipeline(monkeypatch: pytest.MonkeyPatch, verdict: Verdict) -> list[bytes]:
    """The pipeline replaced by one that reads the video it is given and writes two frames
    into the evidence folder, as the real evidence writer does; returns the videos read."""
    seen: list[bytes] = []

    def fake(path, claim, *, evidence_dir=None, progress=None, source=None, **_):
        seen.append(Path(path).read_bytes())
        evidence = []
        for n, t in enumerate((3.2, 12.0)):
            image = Path(evidence_dir) / f"{n:03d}_{t:07.2f}s.jpg"
            Image.new("RGB", (320, 180), (40, 40, 40 + n)).save(image, "JPEG")
            evidence.append(Evidence(time_s=t, image=str(image), note=f"frame {n}"))
        step = StepResult(name=StepName.RC_SERIAL, found=True, confidence=0.5, evidence=evidence)
        reasons = [Reason.GPS_WEAK] if verdict == Verdict.REJECTED else []
        return Report(verdict=verdict, reasons=reasons, steps=[step], source=source or str(path))

    monkeypatch.setattr("pipeline.analyse.analyse_file", fake)
    return seen


@pytest.fixture
def s3_env(s3: S3Server, env, sqlite_url, monkeypatch, tmp_path):
    """The workers' environment on SQLite with a fresh bucket: s3://<bucket>/vv."""
    env(sqlite_url)
    bucket = s3.new_bucket()
    for key, value in s3.env(bucket).items():
        monkeypatch.setenv(key, value)
    add_product(sqlite_url, PRODUCT)
    yield bucket
    reset_storage()


def test_s3_url_submission_leaves_nothing_on_local_disk(
    s3: S3Server, s3_env, monkeypatch, video_server, tmp_path
):
    bucket = s3_env
    seen = stub_pipeline(monkeypatch, Verdict.REJECTED)
    view = service.submit(video_server.url(f"/video/{CLIP}"), PRODUCT["aircraft_sn"])
    sid = view.id
    assert jobs.fetch_job(sid, 1) == "fetched"
    assert s3.keys(bucket) == [f"vv/downloads/submission-{sid}/video.mp4"]
    settings = Settings.from_env()
    assert files(settings.work_dir) == []  # the scratch copy is gone

    assert jobs.analyse_job(sid, 1) == "rejected"
    assert seen == [(VIDEOS / CLIP).read_bytes()]  # the analysis read the stored download
    prefix = f"vv/evidence/submission-{sid}/attempt-1"
    # the download is dropped after a final verdict, as before; frames and report are stored
    assert s3.keys(bucket) == [
        f"{prefix}/000_0003.20s.jpg",
        f"{prefix}/001_0012.00s.jpg",
        f"{prefix}/report.json",
    ]
    assert files(settings.work_dir) == [] and files(settings.evidence_dir) == []

    done = service.get(sid)
    assert done.evidence_dir == f"s3://{bucket}/{prefix}"
    images = [e["image"] for e in done.report["steps"][0]["evidence"]]
    assert images == [
        f"submission-{sid}/attempt-1/000_0003.20s.jpg",
        f"submission-{sid}/attempt-1/001_0012.00s.jpg",
    ]
    body = s3.client().get_object(Bucket=bucket, Key=f"{prefix}/report.json")["Body"].read()
    assert json.loads(body)["steps"][0]["evidence"][0]["image"] == images[0]
    head = s3.client().head_object(Bucket=bucket, Key=f"{prefix}/000_0003.20s.jpg")
    assert head["ContentType"] == "image/jpeg"

    later = utc_now() + timedelta(days=settings.retention_days + 1)
    assert retention.sweep(settings, now=later) == [sid]
    assert s3.keys(bucket) == []
    assert service.get(sid).evidence_dir is None


def test_s3_file_submission_is_copied_and_a_lost_download_is_fetched_again(
    s3: S3Server, s3_env, monkeypatch, tmp_path
):
    bucket = s3_env
    seen = stub_pipeline(monkeypatch, Verdict.NEEDS_REVIEW)
    clip = tmp_path / "clip one.MP4"  # a name that is no key: the stored copy is video.mp4
    shutil.copy(VIDEOS / CLIP, clip)
    view = service.submit(str(clip), PRODUCT["aircraft_sn"], allow_local=True)
    sid = view.id
    assert jobs.fetch_job(sid, 1) == "fetched"
    download = f"vv/downloads/submission-{sid}/video.mp4"
    assert s3.keys(bucket) == [download]

    s3.client().delete_object(Bucket=bucket, Key=download)  # the object vanished
    assert jobs.analyse_job(sid, 1).startswith("analysis failed")
    again = service.get(sid)
    assert again.state == State.QUEUED and again.stage == "fetch" and again.attempts == 2
    assert "fetching again" in " ".join(e.message for e in service.events(sid))

    assert jobs.fetch_job(sid, 2) == "fetched"
    assert jobs.analyse_job(sid, 2) == "needs_review"
    assert seen == [clip.read_bytes()]
    keys = s3.keys(bucket)
    assert download in keys  # kept: a reviewer watches it
    assert f"vv/evidence/submission-{sid}/attempt-2/report.json" in keys


def test_local_default_keeps_the_files_where_they_were(env, sqlite_url, monkeypatch, tmp_path, video_server):
    env(sqlite_url)
    monkeypatch.delenv("VIDVERIFY_STORAGE_URL", raising=False)
    add_product(sqlite_url, PRODUCT)
    stub_pipeline(monkeypatch, Verdict.NEEDS_REVIEW)
    settings = Settings.from_env()
    view = service.submit(video_server.url(f"/video/{CLIP}"), PRODUCT["aircraft_sn"])
    sid = view.id
    assert jobs.fetch_job(sid, 1) == "fetched"
    assert files(settings.work_dir) == [f"submission-{sid}/video.mp4"]
    assert jobs.analyse_job(sid, 1) == "needs_review"
    assert files(settings.evidence_dir) == [
        f"submission-{sid}/attempt-1/000_0003.20s.jpg",
        f"submission-{sid}/attempt-1/001_0012.00s.jpg",
        f"submission-{sid}/attempt-1/report.json",
    ]
    assert files(settings.work_dir) == [f"submission-{sid}/video.mp4"]  # needs_review: kept
    done = service.get(sid)
    assert done.evidence_dir == str(settings.evidence_dir / f"submission-{sid}" / "attempt-1")
    # a requeue of a failed analysis would find the download without fetching
    with get_database(settings.database_url).tx() as s:
        s.get(SubmissionRow, sid).state = State.FAILED
    assert service.requeue(sid).stage == "analyse"
