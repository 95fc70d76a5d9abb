"""Fetch a submitted recording: a local file as is, a URL through yt-dlp's Python API.

Security first: only allowed hosts (YouTube by default), no ``file://``, no playlists, limits
on size and duration checked before, during and after the download. Only public addresses are
reached, on every connection the download makes (redirects, media URLs found in a page, a
second DNS answer): ``pipeline.netguard`` checks the socket as it connects. yt-dlp's generic
extractor (the SSRF surface) is only enabled when a non-YouTube host is explicitly allowed.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
from pathlib import Path
from urllib.parse import urlparse

from pydantic import BaseModel, Field

from pipeline import netguard

YOUTUBE_HOSTS = ["youtube.com", "www.youtube.com", "m.youtube.com", "youtu.be", "music.youtube.com"]
VIDEO_SUFFIXES = {".mp4", ".mov", ".mkv", ".webm", ".m4v", ".avi"}


class FetchError(Exception):
    """A fetch that did not produce a video. ``permanent`` says whether retrying can help."""

    def __init__(self, message: str, permanent: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent


class FetchPolicy(BaseModel):
    allowed_hosts: list[str] = Field(default_factory=lambda: list(YOUTUBE_HOSTS))
    allow_private: bool = False
    # Networks reachable although not public (an internal mirror); empty by default.
    allowed_networks: list[str] = Field(default_factory=list)
    max_bytes: int = 500 * 1024 * 1024
    max_duration_s: float = 15 * 60
    max_height: int = 1080
    socket_timeout_s: float = 20.0

    @classmethod
    def from_env(cls) -> FetchPolicy:
        policy = cls()
        hosts = os.environ.get("VIDVERIFY_ALLOWED_HOSTS")
        if hosts:
            policy.allowed_hosts = [h.strip().lower() for h in hosts.split(",") if h.strip()]
        policy.allow_private = os.environ.get("VIDVERIFY_ALLOW_PRIVATE", "") in ("1", "true", "yes")
        networks = os.environ.get("VIDVERIFY_FETCH_ALLOWED_NETWORKS", "")
        policy.allowed_networks = [n.strip() for n in networks.split(",") if n.strip()]
        if os.environ.get("VIDVERIFY_MAX_BYTES"):
            policy.max_bytes = int(os.environ["VIDVERIFY_MAX_BYTES"])
        if os.environ.get("VIDVERIFY_MAX_DURATION_S"):
            policy.max_duration_s = float(os.environ["VIDVERIFY_MAX_DURATION_S"])
        return policy

    @property
    def addresses(self) -> netguard.AddressRule:
        return netguard.AddressRule.of(self.allow_private, self.allowed_networks)

    @property
    def youtube_only(self) -> bool:
        return all(h in YOUTUBE_HOSTS for h in self.allowed_hosts)


def is_url(source: str) -> bool:
    return "://" in source


def _host_allowed(host: str, policy: FetchPolicy) -> bool:
    host = host.lower().rstrip(".")
    return any(host == h or host.endswith("." + h) for h in policy.allowed_hosts)


def _private(host: str, policy: FetchPolicy) -> bool:
    """True when the host is, or resolves to, an address that is not public (loopback, private,
    shared 100.64/10, link-local, reserved, 6to4 or mapped forms of those)."""
    try:
        infos = socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"cannot resolve host {host}", permanent=False) from exc
    rule = policy.addresses
    return any(rule.refuses(str(info[4][0])) for info in infos)


def validate_url(url: str, policy: FetchPolicy | None = None) -> str:
    """Refuse what must never be fetched; return the URL to hand to yt-dlp."""
    policy = policy or FetchPolicy.from_env()
    try:
        parsed = urlparse(url)
        host = parsed.hostname or ""
        parsed.port  # noqa: B018 - raises ValueError on a port out of range
    except ValueError as exc:
        raise FetchError(f"the URL is malformed ({exc})") from exc
    if parsed.scheme not in ("http", "https"):
        raise FetchError(f"only http(s) URLs are accepted, not {parsed.scheme or 'this'}://")
    if not host:
        raise FetchError("the URL has no host")
    if not _host_allowed(host, policy):
        raise FetchError(f"host {host} is not allowed (allowed: {', '.join(policy.allowed_hosts)})")
    if "list=" in (parsed.query or "") and "v=" not in (parsed.query or ""):
        raise FetchError("playlists are not accepted: submit the link of one video")
    if parsed.path.startswith("/playlist"):
        raise FetchError("playlists are not accepted: submit the link of one video")
    if not policy.allow_private and _private(host, policy):
        raise FetchError(f"host {host} is a private or loopback address")
    return url


def _options(workdir: Path, policy: FetchPolicy) -> dict:
    h = policy.max_height
    web = "[protocol^=http]"

    def check_info(info: dict, *, incomplete: bool) -> str | None:
        if info.get("_type") == "playlist" or info.get("entries"):
            return "playlists are not accepted"
        if info.get("is_live") or info.get("live_status") in ("is_live", "is_upcoming"):
            return "live streams are not accepted"
        duration = info.get("duration")
        if duration is not None and duration > policy.max_duration_s:
            return f"the video lasts {duration:.0f}s, more than the {policy.max_duration_s:.0f}s allowed"
        size = info.get("filesize") or info.get("filesize_approx")
        if size and size > policy.max_bytes:
            return f"the video is {size / 1e6:.0f} MB, more than the {policy.max_bytes / 1e6:.0f} MB allowed"
        return None

    def guard(progress: dict) -> None:
        done = progress.get("downloaded_bytes") or 0
        if done > policy.max_bytes:
            raise FetchError(f"download exceeded {policy.max_bytes / 1e6:.0f} MB")

    return {
        # H.264 at up to 1080p first (cheap to decode, text legible), anything up to 1080p next.
        # Only formats fetched over HTTP(S) by yt-dlp itself: an rtmp/rtsp/ftp/m3u8 format would
        # go through an external program (ffmpeg, rtmpdump) whose sockets are not guarded.
        "format": "/".join(
            [
                f"bv*[height<={h}][vcodec^=avc1]{web}+ba{web}",
                f"b[height<={h}][vcodec^=avc1]{web}",
                f"bv*[height<={h}]{web}+ba{web}",
                f"b[height<={h}]{web}",
                f"b{web}",
            ]
        ),
        "external_downloader": {"default": "native"},
        "concurrent_fragment_downloads": 1,  # fragments in this (guarded) thread
        "format_sort": [f"res:{h}", "+size", "+br"],
        "noplaylist": True,
        "playlist_items": "1",
        "paths": {"home": str(workdir), "temp": str(workdir)},
        "outtmpl": {"default": "video.%(ext)s"},
        "restrictfilenames": True,
        "overwrites": True,
        "quiet": True,
        "noprogress": True,
        "no_warnings": True,
        "cachedir": False,
        "socket_timeout": policy.socket_timeout_s,
        "retries": 2,
        "fragment_retries": 2,
        "match_filter": check_info,
        "max_filesize": policy.max_bytes,
        "progress_hooks": [guard],
        "allowed_extractors": ["youtube"] if policy.youtube_only else ["youtube", "generic"],
        "enable_file_urls": False,
        "merge_output_format": "mp4",
        "js_runtimes": {"deno": {"path": runtime}} if (runtime := deno_path()) else None,
    }


def deno_path() -> str | None:
    """The JavaScript runtime YouTube's challenges need: the ``deno`` package installs its binary
    inside the virtual environment, which is not on PATH unless the venv is activated."""
    try:
        import deno  # type: ignore[import-not-found]

        path = deno.find_deno_bin()
        if path and Path(path).exists():
            return str(path)
    except (ImportError, AttributeError, OSError):
        pass
    return shutil.which("deno")


def _transient(message: str) -> bool:
    """Server errors, time-outs and dropped connections may pass on a retry; a 404, an
    unsupported page or a refused format will not."""
    text = message.lower()
    if re.search(r"http error 5\d\d", text):
        return True
    return any(
        k in text
        for k in (
            "timed out",
            "timeout",
            "temporarily",
            "connection reset",
            "connection refused",
            "reset by peer",
            "remote end closed",
        )
    )


def download(url: str, workdir: Path, policy: FetchPolicy | None = None) -> Path:
    import yt_dlp
    from yt_dlp.utils import DownloadError

    policy = policy or FetchPolicy.from_env()
    validate_url(url, policy)
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        with netguard.guarded(policy.addresses), yt_dlp.YoutubeDL(_options(workdir, policy)) as ydl:
            info = ydl.extract_info(url, download=True)
    except FetchError:
        raise
    except DownloadError as exc:
        message = str(exc).replace("ERROR: ", "")
        if netguard.REFUSED in message:
            raise FetchError(
                "the link leads to an address that is not public (a redirect or a media URL)"
            ) from exc
        raise FetchError(message, permanent=not _transient(message)) from exc
    except OSError as exc:
        raise FetchError(f"network error: {exc}", permanent=False) from exc
    if info is None:
        raise FetchError("the video was skipped: " + "it breaks a limit or is not a single video")
    files = [p for p in workdir.iterdir() if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES]
    if not files:
        raise FetchError("the download produced no video file")
    path = max(files, key=lambda p: p.stat().st_size)
    _check_duration(path, policy)
    return path


def _check_duration(path: Path, policy: FetchPolicy) -> None:
    """The duration from the file itself: a direct link (generic extractor) tells none before
    the download, so the limit is enforced here too."""
    from pipeline.video import UnreadableVideo, header

    try:
        duration = header(path).duration_s
    except UnreadableVideo:
        return  # the analysis says why, as video_unreadable
    if duration > policy.max_duration_s:
        path.unlink(missing_ok=True)
        raise FetchError(
            f"the video lasts {duration:.0f}s, more than the {policy.max_duration_s:.0f}s allowed"
        )


def fetch_video(
    source: str, workdir: Path, policy: FetchPolicy | None = None, allow_local: bool = True
) -> Path:
    """A local path (when allowed) or a downloaded URL, as a path to a video file."""
    if source.startswith("file:"):
        raise FetchError("file:// URLs are not accepted")
    if is_url(source):
        return download(source, workdir, policy)
    if not allow_local:
        raise FetchError("only URLs are accepted here")
    path = Path(source)
    if not path.is_file():
        raise FetchError(f"no such file: {source}")
    policy = policy or FetchPolicy.from_env()
    if path.stat().st_size > policy.max_bytes:
        raise FetchError(f"the file is larger than {policy.max_bytes / 1e6:.0f} MB")
    return path
