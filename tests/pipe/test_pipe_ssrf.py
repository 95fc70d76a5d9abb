"""Server-side request forgery past the first hop: the real yt-dlp (generic extractor) against
real HTTP servers on 127.0.0.x and a resolver stub at the socket layer.

The allowed host ``media.test`` resolves to 127.0.0.2, the one network the policy lets through
(``allowed_networks``, as an internal mirror would be configured). The "internal service" the
attacker wants listens on 127.0.0.1 at the same port and counts its requests: whatever the page
says (a redirect, ``og:video``, a jwplayer ``file:``) or the resolver answers next, it must see
no request at all.
"""

from __future__ import annotations

import http.server
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pipeline import netguard
from pipeline.fetch import FetchError, FetchPolicy, fetch_video, validate_url

ROOT = Path(__file__).resolve().parents[2]
VIDEO = ROOT / "fixtures" / "videos" / "ok_go4_720p30.mp4"
HOST = "media.test"


@dataclass
class Site:
    port: int
    internal_hits: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"

    @property
    def internal(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _handler(root: Path, pages: dict[str, tuple[int, dict[str, str], bytes]], hits: list[str] | None):
    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *_args) -> None:
            pass

        def do_GET(self) -> None:
            if hits is not None:
                hits.append(self.path)
            if self.path in pages:
                code, headers, body = pages[self.path]
                self.send_response(code)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            super().do_GET()

    return Handler


def _serve(address: tuple[str, int], handler) -> http.server.ThreadingHTTPServer:
    httpd = http.server.ThreadingHTTPServer(address, handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def _html(body: str) -> tuple[int, dict[str, str], bytes]:
    return 200, {"Content-Type": "text/html; charset=utf-8"}, body.encode()


@pytest.fixture()
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    public, private = tmp_path / "public", tmp_path / "private"
    public.mkdir()
    private.mkdir()
    shutil.copy(VIDEO, public / "ok.mp4")
    shutil.copy(VIDEO, private / "secret.mp4")
    pages: dict[str, tuple[int, dict[str, str], bytes]] = {}
    allowed = _serve(("127.0.0.2", 0), _handler(public, pages, None))
    s = Site(port=allowed.server_address[1])
    internal = _serve(("127.0.0.1", s.port), _handler(private, {}, s.internal_hits))
    secret = f"{s.internal}/secret.mp4"
    pages["/redirect"] = (302, {"Location": secret}, b"")
    pages["/redirect-home"] = (302, {"Location": s.url("/ok.mp4")}, b"")
    pages["/og.html"] = _html(
        f'<html><head><meta property="og:video" content="{secret}">'
        '<meta property="og:title" content="x"></head><body>flight</body></html>'
    )
    pages["/jw.html"] = _html(
        '<html><head><title>x</title></head><body><div id="p"></div><script>'
        f'jwplayer("p").setup({{"file": "{secret}", "title": "x"}});</script></body></html>'
    )
    monkeypatch.setattr(socket, "getaddrinfo", _resolver({HOST: ["127.0.0.2"]}))
    yield s
    allowed.shutdown()
    internal.shutdown()


def _resolver(answers: dict[str, list[str]]):
    """``socket.getaddrinfo`` answering the names given, in turn (the last answer repeats);
    other names resolve as usual."""
    real = socket.getaddrinfo
    calls: dict[str, int] = {}

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        name = host.decode() if isinstance(host, bytes) else host
        if name not in answers:
            return real(host, port, family, type, proto, flags)
        n = calls[name] = calls.get(name, 0) + 1
        ip = answers[name][min(n, len(answers[name])) - 1]
        fam = socket.AF_INET6 if ":" in ip else socket.AF_INET
        sockaddr = (ip, int(port or 0), 0, 0) if fam == socket.AF_INET6 else (ip, int(port or 0))
        return [(fam, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", sockaddr)]

    return getaddrinfo


def _policy(**kw) -> FetchPolicy:
    return FetchPolicy(allowed_hosts=[HOST], allowed_networks=["127.0.0.2/32"], **kw)


def test_the_allowed_host_downloads(site: Site, tmp_path: Path) -> None:
    """The set-up works: the allowed host's file, directly and through a redirect to itself."""
    for path in ("/ok.mp4", "/redirect-home"):
        got = fetch_video(site.url(path), tmp_path / path.strip("/"), _policy())
        assert got.stat().st_size == VIDEO.stat().st_size
    assert site.internal_hits == []


@pytest.mark.parametrize("path", ["/redirect", "/og.html", "/jw.html"])
def test_no_hop_reaches_a_private_address(site: Site, tmp_path: Path, path: str) -> None:
    with pytest.raises(FetchError) as err:
        fetch_video(site.url(path), tmp_path / "dl", _policy())
    assert "not public" in err.value.message
    assert err.value.permanent
    assert site.internal_hits == []
    assert not any((tmp_path / "dl").glob("*.mp4"))


def test_a_rebinding_resolver_is_not_followed(site: Site, tmp_path: Path, monkeypatch) -> None:
    """Public (allowed) for the check, 127.0.0.1 for the connection: the connection is refused,
    because the address checked is the address connected to."""
    monkeypatch.setattr(socket, "getaddrinfo", _resolver({HOST: ["127.0.0.2", "127.0.0.1"]}))
    with pytest.raises(FetchError, match="not public"):
        fetch_video(site.url("/ok.mp4"), tmp_path / "dl", _policy())
    assert site.internal_hits == []


def test_duration_enforced_on_direct_downloads(site: Site, tmp_path: Path) -> None:
    """A direct link tells no duration before the download: it is read from the file."""
    long = tmp_path / "public" / "long.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=black:s=160x120:d=600:r=1",
         "-c:v", "libx264", "-preset", "ultrafast", "-tune", "stillimage", str(long)],
        check=True,
    )  # fmt: skip
    with pytest.raises(FetchError, match="lasts 600s, more than the 60s"):
        fetch_video(site.url("/long.mp4"), tmp_path / "dl", _policy(max_duration_s=60))
    assert not any((tmp_path / "dl").glob("*.mp4"))


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "100.64.0.1",
        "100.100.100.200",  # a cloud metadata address in the shared 100.64/10
        "169.254.169.254",
        "0.0.0.0",
        "224.0.1.1",
        "::1",
        "fe80::1%eth0",
        "fd00::1",
        "::ffff:127.0.0.1",
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo to 10.0.0.1
    ],
)
def test_addresses_that_are_not_public_are_refused(address: str) -> None:
    assert netguard.AddressRule().refuses(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    assert not netguard.AddressRule().refuses(address)


def test_submitted_host_in_shared_space_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", _resolver({"meta.test": ["100.100.100.200"]}))
    with pytest.raises(FetchError, match="private or loopback"):
        validate_url("http://meta.test/latest/meta-data", FetchPolicy(allowed_hosts=["meta.test"]))


def test_guard_is_for_the_downloading_thread_only() -> None:
    """Inside ``guarded`` this thread cannot reach 127.0.0.1; another thread (Redis, the
    database) still can, and so can this one afterwards."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    results: list[str] = []

    def other() -> None:
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            results.append("ok")

    with netguard.guarded(netguard.AddressRule()):
        with pytest.raises(OSError, match="not a public address"):
            socket.create_connection(("127.0.0.1", port), timeout=5)
        t = threading.Thread(target=other)
        t.start()
        t.join()
    assert results == ["ok"]
    socket.create_connection(("127.0.0.1", port), timeout=5).close()
    listener.close()
