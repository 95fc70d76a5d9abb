"""Fetching: disallowed URLs are refused with clear errors; an allowed URL goes through the real
yt-dlp (generic extractor, served from a local HTTP server) and is verified end to end."""

from __future__ import annotations

import http.server
import shutil
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from pipeline.analyse import analyse_file
from pipeline.fetch import FetchError, FetchPolicy, fetch_video, validate_url
from pipeline.models import Claim
from tests.support.fixture_videos import FIXTURES, load_cases

DEFAULT = FetchPolicy()


@pytest.mark.parametrize(
    "url, words",
    [
        ("file:///etc/passwd", "http"),
        ("ftp://www.youtube.com/watch?v=abc", "http"),
        ("https://evil.example.com/watch?v=abc", "not allowed"),
        ("https://www.youtube.com/playlist?list=PL123", "playlist"),
        ("https://www.youtube.com.evil.net/watch?v=abc", "not allowed"),
        ("https://[youtube.com]/x", "malformed"),
        ("http://[::1/", "malformed"),
        ("https://www.youtube.com:99999/watch?v=abc", "malformed"),
    ],
)
def test_disallowed_urls(url: str, words: str) -> None:
    with pytest.raises(FetchError) as err:
        validate_url(url, DEFAULT)
    assert words in err.value.message
    assert err.value.permanent


def test_private_addresses_refused_unless_allowed() -> None:
    policy = FetchPolicy(allowed_hosts=["127.0.0.1", "localhost"])
    with pytest.raises(FetchError, match="private or loopback"):
        validate_url("http://127.0.0.1:8000/x.mp4", policy)
    policy.allow_private = True
    assert validate_url("http://127.0.0.1:8000/x.mp4", policy)


def test_file_url_source_refused(tmp_path: Path) -> None:
    with pytest.raises(FetchError):
        fetch_video("file:///etc/passwd", tmp_path)


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[str]:
    root = tmp_path / "www"
    root.mkdir()
    shutil.copy(FIXTURES / "ok_fly_2400x1080_60.mp4", root / "ok.mp4")
    (root / "big.mp4").write_bytes((FIXTURES / "ok_fly_2400x1080_60.mp4").read_bytes() * 3)
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_url_end_to_end(server: str, tmp_path: Path) -> None:
    policy = FetchPolicy(allowed_hosts=["127.0.0.1"], allow_private=True)
    path = fetch_video(f"{server}/ok.mp4", tmp_path / "dl", policy)
    assert path.stat().st_size == (FIXTURES / "ok_fly_2400x1080_60.mp4").stat().st_size
    case = next(c for c in load_cases(FIXTURES) if c["file"] == "ok_fly_2400x1080_60.mp4")
    report = analyse_file(
        path, Claim(rc_sn=case["product"]["rc_sn"], aircraft_sn=case["product"]["aircraft_sn"])
    )
    assert report.verdict == case["expected_verdict"]


def test_url_too_big(server: str, tmp_path: Path) -> None:
    size = (FIXTURES / "ok_fly_2400x1080_60.mp4").stat().st_size
    policy = FetchPolicy(allowed_hosts=["127.0.0.1"], allow_private=True, max_bytes=size * 2)
    with pytest.raises(FetchError) as err:
        fetch_video(f"{server}/big.mp4", tmp_path / "dl", policy)
    assert err.value.permanent


def test_url_missing_is_an_error(server: str, tmp_path: Path) -> None:
    policy = FetchPolicy(allowed_hosts=["127.0.0.1"], allow_private=True)
    with pytest.raises(FetchError):
        fetch_video(f"{server}/nothing.mp4", tmp_path / "dl", policy)


@pytest.mark.parametrize(
    "message, transient",
    [
        ("Unable to download webpage: HTTP Error 503: Service Unavailable", True),
        ("Unable to download webpage: HTTP Error 404: Not Found", False),
        ("Unsupported URL: http://example.com/page", False),
        ("Read timed out", True),
    ],
)
def test_transient_or_permanent(message: str, transient: bool) -> None:
    from pipeline.fetch import _transient

    assert _transient(message) is transient
