"""Storage keys: the names of stored files, and the checks that keep them inside a store.

A key is a relative, ``/``-separated name such as ``submission-12/attempt-1/000_0003.20s.jpg``.
Every part starts with a letter or digit and holds only letters, digits, ``.``, ``_`` and
``-``, so no key can be absolute, climb out with ``..``, hide as a dot-file, or carry a
character that a file system or an object store reads differently. Keys come from our own
code, but also back out of stored reports, so everything that reads or writes checks them.
"""

from __future__ import annotations

import re

PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
MAX_PARTS = 8
MAX_LENGTH = 512


class InvalidKey(ValueError):
    """A name that is not a storage key (absolute, ``..``, odd characters, too long)."""


def validate_key(key: str) -> str:
    """``key`` itself when it is a valid key, else ``InvalidKey`` saying why."""
    if not isinstance(key, str) or not key:
        raise InvalidKey("a storage key must be a non-empty string")
    if len(key) > MAX_LENGTH:
        raise InvalidKey(f"a storage key has at most {MAX_LENGTH} characters")
    parts = key.split("/")
    if len(parts) > MAX_PARTS:
        raise InvalidKey(f"a storage key has at most {MAX_PARTS} parts")
    for part in parts:
        if not PART.fullmatch(part):
            raise InvalidKey(
                f"invalid storage key {key!r}: each part starts with a letter or digit and "
                "holds only letters, digits, '.', '_' and '-'"
            )
    return key


def is_key(value: str) -> bool:
    try:
        validate_key(value)
    except InvalidKey:
        return False
    return True


def submission_prefix(submission_id: int) -> str:
    """Every file of one submission lives under this prefix (in each store)."""
    if not isinstance(submission_id, int) or submission_id < 0:
        raise InvalidKey(f"not a submission id: {submission_id!r}")
    return f"submission-{submission_id}"


def attempt_prefix(submission_id: int, attempt: int) -> str:
    """The evidence of one processing attempt (a retry writes beside, never over, the last)."""
    return f"{submission_prefix(submission_id)}/attempt-{int(attempt)}"


def within(key: str, prefix: str) -> bool:
    """Whether ``key`` is under the folder-like ``prefix`` (``submission-1`` holds
    ``submission-1/x`` but not ``submission-10/x``)."""
    return key.startswith(prefix.rstrip("/") + "/")


BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


def parse_storage_url(url: str) -> tuple[str, str]:
    """(bucket, prefix) of ``s3://bucket`` or ``s3://bucket/some/prefix``; ``ValueError``
    saying what is expected otherwise."""
    from urllib.parse import urlsplit

    parts = urlsplit(url.strip())
    if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"VIDVERIFY_STORAGE_URL must look like s3://bucket/prefix, not {url!r}")
    if not BUCKET.fullmatch(parts.netloc):
        raise ValueError(f"{parts.netloc!r} is not an S3 bucket name (3-63 of a-z 0-9 . -)")
    prefix = parts.path.strip("/")
    if prefix:
        try:
            validate_key(prefix)
        except InvalidKey as exc:
            raise ValueError(f"the prefix of VIDVERIFY_STORAGE_URL: {exc}") from exc
    return parts.netloc, prefix
