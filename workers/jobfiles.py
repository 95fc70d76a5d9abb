"""The files of the jobs, moved through the storage: the download in, the evidence out.

The pipeline works on local files. The fetch job downloads into a scratch folder and puts
the video in the downloads store; the analysis job gets it back as a local file, lets the
pipeline write its frames into a scratch folder, then puts the frames and the report in the
evidence store and names them by key in the report. With the local storage the scratch
folders are the stores' own folders, so nothing is copied (as before this layer); with S3
they are temporary, and no two stages need to share a disk.

``row.video_path`` holds the download's key (``submission-<id>/video.mp4``), or, for a local
file read in place with the local storage, that file's path, as before.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from workers.storage import NotFound, Storage, StorageError, Store, stored_key, submission_prefix
from workers.storage.keys import is_key, validate_key, within

if TYPE_CHECKING:
    from pipeline.models import Evidence, Report
    from workers.models import SubmissionRow

log = logging.getLogger(__name__)

REPORT = "report.json"
SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,10}")


class DownloadMissing(NotFound):
    """The fetched video is in no store this machine reaches: the fetch must run again."""


def store_download(storage: Storage, row: SubmissionRow, fetch: Callable[[Path], Path]) -> str:
    """Download the submission's video into the downloads store; returns the ``video_path``
    to record. ``fetch`` downloads into the folder it is given and returns the file."""
    prefix = submission_prefix(row.id)
    with storage.downloads.scratch_folder(prefix) as folder:
        path = fetch(folder)
        key = validate_key(f"{prefix}/{path.relative_to(folder).as_posix()}")
        storage.downloads.put_file(key, path)  # with the local storage it is in place already
    return key


def store_local_file(storage: Storage, row: SubmissionRow, path: Path) -> str:
    """A file submission: read where it is with the local storage (as before), copied into a
    remote store, where the analysis workers on other machines reach it."""
    if not storage.downloads.remote:
        return str(path)
    suffix = path.suffix.lower() if SUFFIX.fullmatch(path.suffix) else ""
    key = f"{submission_prefix(row.id)}/video{suffix}"
    storage.downloads.put_file(key, path)
    return key


def has_download(storage: Storage, row: SubmissionRow) -> bool:
    """Whether the fetched video is still there (an analysis can run without fetching)."""
    key = stored_key(storage.downloads, row.video_path, row.id)
    if key is not None:
        return storage.downloads.exists(key)
    return bool(row.video_path) and Path(row.video_path).is_file()


@contextlib.contextmanager
def local_video(storage: Storage, row: SubmissionRow) -> Iterator[Path]:
    """The fetched video as a local file for the time of the ``with``; ``DownloadMissing``
    when it is gone (a cleaned work folder, another machine's disk, a deleted object)."""
    key = stored_key(storage.downloads, row.video_path, row.id)
    if key is None:
        path = Path(row.video_path) if row.video_path else None
        if path is None or not path.is_file():
            raise DownloadMissing(f"fetched video {row.video_path} is missing")
        yield path  # a local file submission, read in place
        return
    with contextlib.ExitStack() as stack:
        try:
            path = stack.enter_context(storage.downloads.fetched(key))
        except NotFound as exc:
            raise DownloadMissing(f"fetched video {storage.downloads.location(key)} is missing") from exc
        yield path


def drop_download(storage: Storage, submission_id: int, video_path: str | None, source_kind: str) -> None:
    """Delete a stored download once it is no longer needed (never a file read in place)."""
    if source_kind == "file" and not storage.downloads.remote:
        return
    if stored_key(storage.downloads, video_path, submission_id) is None:
        return
    try:
        storage.downloads.delete_prefix(submission_prefix(submission_id))
    except StorageError:  # retention tries again later; the verdict stands
        log.warning("submission %s: could not delete the download", submission_id, exc_info=True)


def _evidence(report: Report) -> list[Evidence]:
    return [e for s in report.steps for e in s.evidence] + [e for f in report.findings for e in f.evidence]


def publish_evidence(store: Store, report: Report, folder: Path, prefix: str) -> list[str]:
    """Put the frames the pipeline wrote into ``folder`` at ``prefix/<name>``, name them by
    key in ``report``, and put the report beside them; returns the keys stored."""
    stored: list[str] = []
    for ev in _evidence(report):
        if not ev.image or (is_key(ev.image) and within(ev.image, prefix)):
            continue  # no frame, or one entry shared by a step and a finding, already put
        path = Path(ev.image)
        key = validate_key(f"{prefix}/{path.relative_to(folder).as_posix()}")
        store.put_file(key, path)
        ev.image = key
        stored.append(key)
    key = f"{prefix}/{REPORT}"
    store.put_bytes(key, report.model_dump_json(indent=1).encode())
    return [*stored, key]
