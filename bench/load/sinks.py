"""The two outside services the system talks to, stood in for on loopback, in this process:
an HTTP server playing the video host, and an SMTP server that keeps every message.

Both record when things happened (``time.time()``, the clock the database timestamps use),
so e-mail latency is measured at the moment the mail server accepted the message.
"""

from __future__ import annotations

import contextlib
import http.server
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.load.stack import free_port

VIDEOS = Path(__file__).resolve().parents[2] / "fixtures" / "videos"


class VideoHost:
    """Serves ``/v/<n>/<fixture file>``: the ``n`` makes every link distinct (the API treats
    the same link for the same aircraft as the same submission)."""

    def __init__(self, videos: Path = VIDEOS) -> None:
        self.hits = 0
        host = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                host.hits += 1
                name = self.path.split("?", 1)[0].rsplit("/", 1)[-1]
                path = videos / name
                if self.path.startswith("/v/") and name.endswith(".mp4") and path.is_file():
                    body, status, ctype = path.read_bytes(), 200, "video/mp4"
                else:
                    body, status, ctype = b"not found", 404, "text/plain"
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)  # a fetch cut short (its worker killed)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True, name="video-host")

    def start(self) -> None:
        self.thread.start()

    def url(self, n: int, file: str) -> str:
        return f"http://127.0.0.1:{self.port}/v/{n}/{file}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@dataclass(frozen=True)
class Mail:
    at: float
    recipients: tuple[str, ...]
    message_id: str
    subject: str


class SmtpSink:
    """An aiosmtpd server on a fixed port that can be taken down and brought back (a fault)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.mails: list[Mail] = []
        self.controller: Any = None
        self.lock = threading.Lock()

    def _handler(self) -> Any:
        sink = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
                text = envelope.content.decode("utf-8", "replace")
                headers = text.split("\n\n", 1)[0]
                fields = {}
                for line in headers.splitlines():
                    key, _, value = line.partition(":")
                    fields.setdefault(key.strip().lower(), value.strip())
                mail = Mail(
                    time.time(),
                    tuple(envelope.rcpt_tos),
                    fields.get("message-id", ""),
                    fields.get("subject", ""),
                )
                with sink.lock:
                    sink.mails.append(mail)
                return "250 OK"

        return Handler()

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self._handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def up(self) -> bool:
        return self.controller is not None

    def snapshot(self) -> list[Mail]:
        with self.lock:
            return list(self.mails)
