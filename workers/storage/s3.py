"""The S3 store: any S3-compatible object storage (AWS S3, MinIO, Ceph, ...), through boto3.

With it the fetch workers, the analysis workers and the API need no shared disk: a download,
the evidence frames and the report are objects under ``s3://bucket/prefix/``. Credentials
and the region are boto3's own (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``,
``AWS_DEFAULT_REGION``, a profile, an instance role); ``VIDVERIFY_S3_ENDPOINT_URL`` points at
a server other than AWS, which is then addressed path-style (``http://host:9000/bucket/key``),
as MinIO and most others expect.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from workers.storage.base import CHUNK, NotFound, StorageError, Store, content_type
from workers.storage.keys import validate_key, within


def make_client(endpoint_url: str | None = None) -> Any:
    """A boto3 S3 client (thread-safe; one per process)."""
    import boto3
    from botocore.config import Config

    options: dict[str, Any] = {
        "retries": {"max_attempts": 5, "mode": "standard"},
        "connect_timeout": 10,
        "read_timeout": 60,
    }
    if endpoint_url:
        # Servers other than AWS: path-style addresses, and checksums only where S3 requires
        # them (the newer default checksums are not understood by every S3-compatible server).
        options["s3"] = {"addressing_style": "path"}
        options["request_checksum_calculation"] = "when_required"
        options["response_checksum_validation"] = "when_required"
    session = boto3.session.Session()
    return session.client("s3", endpoint_url=endpoint_url or None, config=Config(**options))


def _missing(exc: Exception) -> bool:
    from botocore.exceptions import ClientError

    if not isinstance(exc, ClientError):
        return False
    code = str(exc.response.get("Error", {}).get("Code", ""))
    return code in ("404", "NoSuchKey", "NotFound")


class S3Store(Store):
    remote = True

    def __init__(self, client: Any, bucket: str, prefix: str, scratch: Path) -> None:
        super().__init__(scratch)
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    def _name(self, key: str) -> str:
        return self.prefix + validate_key(key)

    @contextlib.contextmanager
    def _faults(self, what: str) -> Iterator[None]:
        """Around S3 requests: a missing object is ``NotFound``, any other fault ``StorageError``."""
        from boto3.exceptions import S3UploadFailedError
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except (ClientError, BotoCoreError, S3UploadFailedError) as exc:
            if _missing(exc):
                raise NotFound(f"no object {what}") from exc
            raise StorageError(f"object storage: {what}: {exc}") from exc

    def put_file(self, key: str, path: Path) -> None:
        with self._faults(f"put {self.location(key)}"):
            self.client.upload_file(
                Filename=str(path),
                Bucket=self.bucket,
                Key=self._name(key),
                ExtraArgs={"ContentType": content_type(key)},
            )

    def put_bytes(self, key: str, data: bytes) -> None:
        with self._faults(f"put {self.location(key)}"):
            self.client.put_object(
                Bucket=self.bucket, Key=self._name(key), Body=data, ContentType=content_type(key)
            )

    def get_file(self, key: str, dest: Path) -> None:
        Path(dest).parent.mkdir(parents=True, exist_ok=True)
        with self._faults(self.location(key)):
            self.client.download_file(Bucket=self.bucket, Key=self._name(key), Filename=str(dest))

    def size(self, key: str) -> int | None:
        try:
            with self._faults(self.location(key)):
                head = self.client.head_object(Bucket=self.bucket, Key=self._name(key))
        except NotFound:
            return None
        return int(head["ContentLength"])

    def iter_bytes(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        request: dict[str, Any] = {"Bucket": self.bucket, "Key": self._name(key)}
        if start or end is not None:
            request["Range"] = f"bytes={start}-{'' if end is None else end}"
        # The request is made here, so a missing object is NotFound before any byte is sent.
        with self._faults(self.location(key)):
            body = self.client.get_object(**request)["Body"]
        return self._chunks(body, self.location(key))

    def _chunks(self, body: Any, what: str) -> Iterator[bytes]:
        try:
            with self._faults(what):
                yield from body.iter_chunks(CHUNK)
        finally:
            body.close()

    def list_keys(self, prefix: str) -> list[str]:
        folder = self._name(prefix) + "/"
        keys: list[str] = []
        with self._faults(f"list {self.location(prefix)}/"):
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=folder)
            for page in pages:
                keys += [item["Key"][len(self.prefix) :] for item in page.get("Contents") or []]
        return sorted(k for k in keys if within(k, prefix))

    def delete_prefix(self, prefix: str) -> int:
        keys = self.list_keys(prefix)
        for i in range(0, len(keys), 1000):  # S3 deletes at most 1000 objects per request
            batch = [{"Key": self.prefix + k} for k in keys[i : i + 1000]]
            with self._faults(f"delete {self.location(prefix)}/"):
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})
        return len(keys)

    def location(self, key: str) -> str:
        return f"s3://{self.bucket}/{self.prefix}{key}"
