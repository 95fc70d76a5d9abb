"""``vidverify doctor`` on this machine: every real piece answers, and the check leaves no
database file behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli_run import vidverify
from tests.support.s3_server import s3_server


def test_doctor_finds_every_piece_and_creates_nothing(tmp_path: Path) -> None:
    result = vidverify("doctor", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    for name in ("tesseract", "ocr engine", "ffmpeg", "yt-dlp", "redis", "database", "storage"):
        assert any(line.startswith("ok") and name in line for line in result.stdout.splitlines()), name
    assert "not created yet" in result.stdout
    assert not (tmp_path / "vidverify.db").exists()


def test_doctor_reports_an_unreachable_database(tmp_path: Path) -> None:
    result = vidverify("doctor", cwd=tmp_path, db="postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert result.returncode != 0
    line = next(x for x in result.stdout.splitlines() if "database" in x)
    assert not line.startswith("ok") and "127.0.0.1:1" in line


def test_doctor_checks_the_object_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with s3_server() as s3:
        bucket = s3.new_bucket()
        for key, value in s3.env(bucket).items():
            monkeypatch.setenv(key, value)
        result = vidverify("doctor", cwd=tmp_path)
        line = next(x for x in result.stdout.splitlines() if x[5:].startswith("storage "))
        assert line.startswith("ok") and f"s3://{bucket}/vv" in line, result.stdout
        monkeypatch.setenv("VIDVERIFY_STORAGE_URL", "s3://vv-no-such-bucket/vv")
        result = vidverify("doctor", cwd=tmp_path)
        assert result.returncode != 0
        line = next(x for x in result.stdout.splitlines() if x[5:].startswith("storage "))
        assert line.startswith("BAD") and "NoSuchBucket" in line, result.stdout
        assert s3.keys(bucket) == []  # the check wrote nothing
