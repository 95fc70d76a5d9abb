"""The sampled frames of one video decoded by several threads at once, in order.

One decoding thread is the critical path of a check wherever the screen holds still (a long
camera view): the reader has nothing to do and the other core idles. A video is therefore cut
at its instantaneous-decoder-refresh frames into chunks of a few seconds, each decoded from its
own seek by a thread of a small pool, and the chunks are handed out in order. No frame of a
chunk refers to a frame before its first one, so every decoded frame is the one a sequential
decode gives, bit for bit; and the samples are the same ones, because the sampling rule is
carried across each cut (``video._decode_chunk``).

Only H.264 and HEVC in MP4 or MOV are cut: their packets say which frames are instantaneous
refresh points (an H.264 I-frame that is not an IDR may be referred to across, an HEVC IRAP
may not), and the container's index makes a seek land exactly there. Anything else, or a
video too short for two chunks, is decoded by one thread as before.
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import av

CHUNK_MIN_S = 4.0  # video seconds per chunk at least: a seek and a fresh decoder cost little
MAX_THREADS = 2
_CONTAINERS = ("mov", "mp4")
_H264_IDR = 5
_HEVC_IRAP = range(16, 24)


@dataclass(frozen=True)
class Chunk:
    """Packets from one refresh frame (``start_pts``) to the next chunk's (``end_pts``, None
    for the last chunk)."""

    start_pts: int | None  # None: the first chunk, decoded from the file's start without a seek
    end_pts: int | None


def threads() -> int:
    wanted = os.environ.get("VIDVERIFY_DECODE_CHUNK_THREADS")
    if wanted:
        return max(1, int(wanted))
    return max(1, min(MAX_THREADS, os.cpu_count() or 1))


def _nal_types(data: bytes, length_size: int) -> Iterator[int]:
    """The NAL unit types of one length-prefixed (MP4) access unit."""
    i = 0
    while i + length_size < len(data):
        n = int.from_bytes(data[i : i + length_size], "big")
        yield data[i + length_size]
        i += length_size + n


def _refreshes(data: bytes, codec: str, length_size: int) -> bool:
    if codec == "h264":
        return any(t & 0x1F == _H264_IDR for t in _nal_types(data, length_size))
    return any((t >> 1) & 0x3F in _HEVC_IRAP for t in _nal_types(data, length_size))


def _length_size(extradata: bytes | None, codec: str) -> int | None:
    """Bytes of each NAL's length prefix, from the avcC / hvcC record; None: not MP4-style."""
    if not extradata:
        return None
    if codec == "h264" and len(extradata) > 4 and extradata[0] == 1:
        return (extradata[4] & 0x3) + 1
    if codec == "hevc" and len(extradata) > 21 and extradata[0] == 1:
        return (extradata[21] & 0x3) + 1
    return None


def plan(path: Path) -> list[Chunk]:
    """The chunks of ``path``; one chunk (decode in one go) when it cannot be cut safely."""
    whole = [Chunk(None, None)]
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except (av.error.FFmpegError, OSError):
        return whole
    try:
        if not container.streams.video or not any(f in container.format.name for f in _CONTAINERS):
            return whole
        stream = container.streams.video[0]
        codec = stream.codec_context.name
        size = _length_size(stream.codec_context.extradata, codec)
        if codec not in ("h264", "hevc") or size is None or not stream.time_base:
            return whole
        gap = CHUNK_MIN_S / float(stream.time_base)
        starts: list[int] = []
        first: int | None = None
        for packet in container.demux(stream):
            if packet.pts is None:
                if packet.size:
                    return whole  # no presentation times: cuts could not be matched
                continue
            if first is None:
                first = packet.pts
            if not packet.is_keyframe or not _refreshes(bytes(packet), codec, size):
                continue
            last = starts[-1] if starts else first
            if packet.pts - last >= gap:
                starts.append(packet.pts)
    except (av.error.FFmpegError, OSError):
        return whole
    finally:
        container.close()
    if not starts:
        return whole
    bounds: list[int | None] = [None, *starts]
    return [Chunk(a, b) for a, b in zip(bounds, [*starts, None], strict=True)]


T = TypeVar("T")
_DONE = object()


def items_of(q: queue.Queue, end: object) -> Iterator:
    """The items put in ``q`` by another thread, up to ``end``; an exception put there is
    raised here, in the caller's thread."""
    while True:
        item = q.get()
        if item is end:
            return
        if isinstance(item, BaseException):
            raise item
        yield item


class ChunkFailed(Exception):
    """A chunk's decoder met a decode error: the stream ends after the chunks before it."""


def ordered(chunks: list[Chunk], decode_chunk: Callable[[Chunk], Iterator[T]], prefetch: int) -> Iterator[T]:
    """``decode_chunk(chunk)``'s items for every chunk, in chunk order, decoded by up to
    ``threads()`` threads at once. Each chunk has its own queue of at most ``prefetch`` items,
    so memory stays bounded however far ahead a thread runs. A thread takes the next chunk only
    when it has finished its last, and the chunk the caller waits on is always being decoded:
    no thread can block the one the caller needs. An exception in a chunk is raised here, in
    order; ``ChunkFailed`` ends the items quietly there."""
    n = len(chunks)
    queues: list[queue.Queue] = [queue.Queue(maxsize=max(1, prefetch)) for _ in range(n)]
    stop = threading.Event()
    claim = iter(range(n))
    lock = threading.Lock()

    def put(q: queue.Queue, item: object) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        while not stop.is_set():
            with lock:
                k = next(claim, None)
            if k is None:
                return
            try:
                for item in decode_chunk(chunks[k]):
                    if not put(queues[k], item):
                        return
            except BaseException as exc:  # raised in the caller's thread, in order
                put(queues[k], exc)
                continue
            put(queues[k], _DONE)

    workers = [
        threading.Thread(target=work, name=f"vidverify-decode-{i}", daemon=True)
        for i in range(min(threads(), n))
    ]
    for w in workers:
        w.start()
    try:
        for q in queues:
            try:
                yield from items_of(q, _DONE)
            except ChunkFailed:
                return
    finally:
        stop.set()
        for w in workers:
            while w.is_alive():
                for q in queues:
                    with contextlib.suppress(queue.Empty):
                        q.get_nowait()
                w.join(0.05)
