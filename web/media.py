"""Evidence frames and recordings, served from the storage to the people allowed to see them.

A stored report names its frames by storage key (older reports by a path inside
``VIDVERIFY_EVIDENCE_DIR``); a frame is served only when that name is a key of the
submission's own files (``submission-<id>/...``) in the evidence store, so a report cannot
point a page at any other file, on disk or in the bucket. The local store's files go out as
``FileResponse`` (as before); objects are streamed, with ``Range`` for the video player.
"""

from __future__ import annotations

import functools
import io
import re
from typing import TYPE_CHECKING

from fastapi import HTTPException, Request
from fastapi.responses import FileResponse, Response, StreamingResponse
from PIL import Image

from web import evidence, submissions
from workers.storage import NotFound, Storage, StorageError, Store, content_type, open_storage, stored_key

if TYPE_CHECKING:
    from web.settings import WebSettings
    from workers.models import SubmissionView

FRAME_CACHE = "private, max-age=3600"  # a frame's key never names other bytes
VIDEO_CACHE = "private, no-store"
HEADER_BYTES = 64 * 1024  # a JPEG's size is in its first few hundred bytes
RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def storage(settings: WebSettings) -> Storage:
    return open_storage(settings.workers)


def frame_key(settings: WebSettings, view: SubmissionView, index: int) -> str | None:
    """The key of the report's ``index``-th frame, None when there is none to serve."""
    names = evidence.frame_paths(view.report)
    if not 0 <= index < len(names):
        return None
    return stored_key(storage(settings).evidence, names[index], view.id)


def size_of(settings: WebSettings, view: SubmissionView) -> evidence.SizeOf:
    """The image size of a report's frame name (the page scales the OCR boxes with it)."""
    store = storage(settings).evidence

    def size(name: str) -> tuple[int, int] | None:
        key = stored_key(store, name, view.id)
        return None if key is None else _image_size(store, key)

    return size


def _image_size(store: Store, key: str) -> tuple[int, int] | None:
    try:
        local = store.local_path(key)
        if local is not None:
            with Image.open(local) as img:
                return img.size
        return _remote_size(store, key)
    except (OSError, ValueError, StorageError):
        return None


@functools.lru_cache(maxsize=4096)
def _remote_size(store: Store, key: str) -> tuple[int, int]:
    """From the image's first bytes only (the whole object for the rare one that needs it);
    remembered, since a key never names other bytes (failures are not remembered)."""
    head = b"".join(store.iter_bytes(key, 0, HEADER_BYTES - 1))
    try:
        with Image.open(io.BytesIO(head)) as img:
            return img.size
    except OSError:
        with Image.open(io.BytesIO(store.read_bytes(key))) as img:
            return img.size


def frame_response(settings: WebSettings, view: SubmissionView, index: int, request: Request) -> Response:
    """One evidence image; 404 when the report has no such frame or it is not in the store."""
    if not 0 <= index < len(evidence.frame_paths(view.report)):
        raise HTTPException(404, detail="no such frame")
    key = frame_key(settings, view, index)
    if key is None:
        raise HTTPException(404, detail="frame not available")
    return stored_response(storage(settings).evidence, key, request, FRAME_CACHE, "frame not available")


def recording_key(settings: WebSettings, submission_id: int) -> str | None:
    """The key of the submission's recording in the downloads store, when it is there."""
    store = storage(settings).downloads
    for value in submissions.video_values(settings, submission_id):
        key = stored_key(store, value, submission_id)
        try:
            if key is not None and store.exists(key):
                return key
        except StorageError:
            return None
    return None


def recording_response(settings: WebSettings, submission_id: int, request: Request) -> Response:
    key = recording_key(settings, submission_id)
    if key is None:
        raise HTTPException(404, detail="the recording is not available here")
    return stored_response(
        storage(settings).downloads, key, request, VIDEO_CACHE, "the recording is not available here"
    )


def stored_response(store: Store, key: str, request: Request, cache: str, missing: str) -> Response:
    """The file at ``key``: the local file itself, or the object streamed (one byte range
    when the request asks for one)."""
    media_type = content_type(key)
    local = store.local_path(key)
    if local is not None:
        return FileResponse(local, media_type=media_type, headers={"Cache-Control": cache})
    try:
        size = store.size(key)
        if size is None:
            raise HTTPException(404, detail=missing)
        headers = {"Cache-Control": cache, "Accept-Ranges": "bytes"}
        wanted = byte_range(request.headers.get("range"), size)
        if wanted is None:
            headers["Content-Length"] = str(size)
            return StreamingResponse(store.iter_bytes(key), media_type=media_type, headers=headers)
        start, end = wanted
        if start > end:
            headers["Content-Range"] = f"bytes */{size}"
            return Response(status_code=416, headers=headers)
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        headers["Content-Length"] = str(end - start + 1)
        body = store.iter_bytes(key, start, end)
        return StreamingResponse(body, status_code=206, media_type=media_type, headers=headers)
    except NotFound as exc:
        raise HTTPException(404, detail=missing) from exc
    except StorageError as exc:
        raise HTTPException(503, detail="the file store is not reachable; try again shortly") from exc


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The one range ``bytes=a-b`` / ``bytes=a-`` / ``bytes=-n`` asks for, clipped to the file;
    None for no (or an unparsable, or a multi-) range: the whole file is sent. A range past
    the end comes back with start > end (the caller answers 416)."""
    match = RANGE.fullmatch((header or "").strip())
    if match is None or size <= 0 or match.group(1) == match.group(2) == "":
        return None
    first, last = match.group(1), match.group(2)
    if first == "":  # the last n bytes
        return max(0, size - int(last)), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if last and int(last) < start:
        return None  # malformed: ignored, as RFC 9110 allows
    if start >= size:
        return size, size - 1
    return start, end
