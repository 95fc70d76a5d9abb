"""``vidverify doctor`` on this machine: every real piece answers, and the check leaves no
database file behind."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli_run import vidverify


def test_doctor_finds_every_piece_and_creates_nothing(tmp_path: Path) -> None:
    result = vidverify("doctor", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    for name in ("tesseract", "ocr engine", "ffmpeg", "yt-dlp", "redis", "database"):
        assert any(line.startswith("ok") and name in line for line in result.stdout.splitlines()), name
    assert "not created yet" in result.stdout
    assert not (tmp_path / "vidverify.db").exists()


def test_doctor_reports_an_unreachable_database(tmp_path: Path) -> None:
    result = vidverify("doctor", cwd=tmp_path, db="postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert result.returncode != 0
    line = next(x for x in result.stdout.splitlines() if "database" in x)
    assert not line.startswith("ok") and "127.0.0.1:1" in line
