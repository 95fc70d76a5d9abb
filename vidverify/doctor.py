"""``vidverify doctor``: is every external piece there, and how to fix what is not."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

Check = Callable[[], tuple[bool, str, str]]  # ok, what was found, how to fix


def _tesseract() -> tuple[bool, str, str]:
    from pipeline.ocr import find_tessdata

    exe = shutil.which("tesseract")
    data = find_tessdata()
    if not exe or not data:
        return (
            False,
            "tesseract or its English data is missing",
            "apt-get install tesseract-ocr tesseract-ocr-eng",
        )
    version = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    return True, f"{version}, languages in {data}", ""


def _ocr_engine() -> tuple[bool, str, str]:
    from pipeline.ocr import make_engine

    engine = make_engine()
    if engine.name == "tesserocr":
        return True, "tesserocr (in-process)", ""
    return True, "pytesseract (one process per call: slower)", "pip install tesserocr"


def _ffmpeg() -> tuple[bool, str, str]:
    exe = shutil.which("ffmpeg")
    if not exe:
        return False, "ffmpeg is missing", "apt-get install ffmpeg"
    version = subprocess.run([exe, "-version"], capture_output=True, text=True).stdout.split("\n")[0]
    return True, version[:60], ""


def _js_runtime() -> tuple[bool, str, str]:
    from pipeline.fetch import deno_path

    path = deno_path()
    if path:
        return True, f"deno at {path} (passed to yt-dlp explicitly)", ""
    node = shutil.which("node")
    if node:
        return True, f"node at {node} (deno preferred)", "pip install deno"
    return False, "no JavaScript runtime: YouTube will only serve storyboards", "pip install deno"


def _yt_dlp() -> tuple[bool, str, str]:
    import yt_dlp

    try:
        import yt_dlp_ejs  # noqa: F401

        ejs = "with yt-dlp-ejs"
    except ImportError:
        return (
            False,
            f"yt-dlp {yt_dlp.version.__version__} without yt-dlp-ejs",
            "pip install 'yt-dlp[default]'",
        )
    return True, f"yt-dlp {yt_dlp.version.__version__} {ejs}", ""


def _redis() -> tuple[bool, str, str]:
    import redis

    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        return False, f"{url}: {exc}", "bash scripts/start_services.sh (or set REDIS_URL)"
    return True, url, ""


def _database() -> tuple[bool, str, str]:
    from sqlalchemy import create_engine, text

    url = os.environ.get("DATABASE_URL", "sqlite:///vidverify.db")
    if url.startswith("sqlite:///") and ":memory:" not in url:
        # A check must not create the default database file: say whether it is there.
        path = Path(url.removeprefix("sqlite:///"))
        if not path.exists():
            return True, f"{url} (not created yet: made by the first command that stores)", ""
    try:
        with create_engine(url).connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:  # any driver error is a finding here, not a crash
        return (
            False,
            f"{url}: {str(exc).splitlines()[0]}",
            "bash scripts/start_services.sh (or set DATABASE_URL)",
        )
    return True, url, ""


def _storage() -> tuple[bool, str, str]:
    from workers.config import Settings
    from workers.storage import StorageError, open_storage

    settings = Settings.from_env()
    if not settings.storage_url:
        return True, f"local folders {settings.evidence_dir} (evidence), {settings.work_dir} (downloads)", ""
    where = settings.storage_url + (f" at {settings.s3_endpoint_url}" if settings.s3_endpoint_url else "")
    try:
        open_storage(settings).evidence.list_keys("submission-0")  # one request, nothing written
    except StorageError as exc:
        fix = "create the bucket; check the AWS_* credentials and VIDVERIFY_S3_ENDPOINT_URL"
        return False, f"{where}: {str(exc).splitlines()[0]}", fix
    return True, where, ""


CHECKS: dict[str, Check] = {
    "tesseract": _tesseract,
    "ocr engine": _ocr_engine,
    "ffmpeg": _ffmpeg,
    "yt-dlp": _yt_dlp,
    "javascript runtime": _js_runtime,
    "redis": _redis,
    "database": _database,
    "storage": _storage,
}


def run(args: argparse.Namespace) -> int:
    failed = 0
    for name, check in CHECKS.items():
        try:
            ok, found, fix = check()
        except Exception as exc:  # a check must report, never crash the doctor
            ok, found, fix = False, f"{type(exc).__name__}: {exc}", "see the README"
        failed += not ok
        print(f"{'ok ' if ok else 'BAD'}  {name:<20} {found}")
        if fix:
            print(f"     {'':<20} fix: {fix}")
    print("all good" if not failed else f"{failed} problem(s) found")
    return 0 if not failed else 1


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("doctor", help="check the external pieces vidverify needs")
    p.set_defaults(func=run)
