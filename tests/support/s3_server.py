"""A real S3-compatible HTTP server on 127.0.0.1 for the storage tests: moto's server
(its S3 backend), in a thread of the test process. Worker and API subprocesses reach it like
any object store, through ``VIDVERIFY_S3_ENDPOINT_URL`` and the ``AWS_*`` variables."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

REGION = "us-east-1"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "vidverify-test",
    "AWS_SECRET_ACCESS_KEY": "vidverify-test-secret",
    "AWS_DEFAULT_REGION": REGION,
}


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def new_bucket(self) -> str:
        """A fresh, empty bucket (each test its own)."""
        name = f"vv-test-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str) -> list[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return sorted(o["Key"] for page in pages for o in page.get("Contents") or [])

    def env(self, bucket: str, prefix: str = "vv") -> dict[str, str]:
        """The environment that points vidverify at ``s3://bucket/prefix`` on this server."""
        return {
            **CREDENTIALS,
            "VIDVERIFY_STORAGE_URL": f"s3://{bucket}/{prefix}" if prefix else f"s3://{bucket}",
            "VIDVERIFY_S3_ENDPOINT_URL": self.endpoint_url,
        }


@contextlib.contextmanager
def s3_server() -> Iterator[S3Server]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield S3Server(f"http://{host}:{port}")
    finally:
        server.stop()
