"""Probe and decode: streaming reads, never the whole video in memory.

Frames are decoded sequentially with PyAV (FFmpeg) on a thread of their own: a seek per sample
decodes from the previous keyframe and is slower than reading through. Frames that no other
frame refers to are not decoded at all, and colour conversion happens only for frames that get
read. ``probe`` opens the file the same way (one decoder path: AV1 goes through dav1d, which
FFmpeg prefers to its native AV1 decoder) and checks the header against ``pipeline.limits``
before the first frame is decoded.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import av
import numpy as np

from pipeline import decode_chunks
from pipeline.limits import Header, VideoLimits
from pipeline.models import VideoInfo

T = TypeVar("T")

PREFETCH_BYTES = 96 * 2**20
# Above 1080p60 one decoding thread would keep the OCR waiting: frame threads are used.
SINGLE_THREAD_PIXEL_RATE = 1920 * 1080 * 60


class UnreadableVideo(Exception):
    """The input is not a decodable video; becomes the ``video_unreadable`` verdict."""


@dataclass
class Frame:
    """A decoded frame. Its grey plane is free (it is the decoder's luma); the colour image is
    converted only when asked for, because most samples are only compared, never read."""

    time_s: float  # presentation time from the container, so variable-rate recordings keep true time
    _frame: av.VideoFrame
    _image: np.ndarray | None = None

    @property
    def grey(self) -> np.ndarray:
        """Full-range luma, a view of the decoder's buffer (no copy)."""
        plane = self._frame.planes[0]
        y = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)[:, : plane.width]
        return y

    @property
    def limited_range(self) -> bool:
        return self._frame.format.name.startswith("yuv") and self._frame.color_range != 2  # 2 = JPEG

    @property
    def rotation(self) -> int:
        """Degrees the container's display matrix turns the picture counter-clockwise."""
        return int(getattr(self._frame, "rotation", 0) or 0)

    @property
    def image(self) -> np.ndarray:
        """BGR, converted once."""
        if self._image is None:
            self._image = self._frame.to_ndarray(format="bgr24")
        return self._image


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def header(path: Path) -> Header:
    """Geometry, frame rate and duration from the container, nothing decoded."""
    if not path.exists():
        raise UnreadableVideo(f"file not found: {path}")
    if path.stat().st_size == 0:
        raise UnreadableVideo("the file is empty")
    container, stream = _open(path)
    try:
        return _header(container, stream)
    finally:
        container.close()


def _header(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> Header:
    ctx = stream.codec_context
    fps = float(stream.average_rate or stream.guessed_rate or 0.0)
    if stream.duration and stream.time_base:
        duration = float(stream.duration * stream.time_base)
    elif container.duration:
        duration = container.duration / 1_000_000  # AV_TIME_BASE
    else:
        duration = stream.frames / fps if stream.frames and fps else 0.0
    return Header(width=int(ctx.width or 0), height=int(ctx.height or 0), fps=fps, duration_s=duration)


def probe(path: Path, limits: VideoLimits | None = None) -> VideoInfo:
    """Facts about the file, checked well enough to trust the sampler that follows: the header
    against the limits first, then one frame decoded."""
    limits = limits or VideoLimits.from_env()
    if not path.exists():
        raise UnreadableVideo(f"file not found: {path}")
    if path.stat().st_size == 0:
        raise UnreadableVideo("the file is empty")
    container, stream = _open(path)
    try:
        head = _header(container, stream)
        if head.width <= 0 or head.height <= 0:
            raise UnreadableVideo("no video stream")
        problem = limits.header_problem(head)
        if problem:
            raise UnreadableVideo(problem)
        codec = stream.codec_context.name
        frames = int(stream.frames or 0)
        try:
            first = next(container.decode(stream), None)
        except (av.error.FFmpegError, OSError) as exc:
            raise UnreadableVideo(f"no frame could be decoded ({exc})") from exc
        if first is None:
            raise UnreadableVideo("no frame could be decoded")
        problem = limits.frame_problem(first.width, first.height)
        if problem:
            raise UnreadableVideo(problem)
    finally:
        container.close()
    fps = head.fps if 1.0 <= head.fps <= 240.0 else 30.0
    if frames <= 0 and head.duration_s > 0:
        frames = round(head.duration_s * fps)  # containers without a frame count (WebM, MKV)
    return VideoInfo(
        duration_s=round(frames / fps, 3) if frames > 0 else round(head.duration_s, 3),
        fps=round(fps, 3),
        width=head.width,
        height=head.height,
        frames=max(frames, 0),
        sha256=sha256_of(path),
        codec=codec,
    )


def _open(path: Path) -> tuple[av.container.InputContainer, av.video.stream.VideoStream]:
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except (av.error.FFmpegError, OSError) as exc:
        raise UnreadableVideo(f"not a video container that can be opened ({exc})") from exc
    if not container.streams.video:
        container.close()
        raise UnreadableVideo("no video stream")
    stream = container.streams.video[0]
    ctx = stream.codec_context
    # Frames nothing else refers to can be left undecoded: at a few samples per second they are
    # never missed, and with B-frames they are about half of the stream. Every frame that is
    # decoded stays bit-exact. (Skipping the deblocking filter would save a quarter more, but its
    # error accumulates over a keyframe interval: several grey levels on text edges.)
    if os.environ.get("VIDVERIFY_DECODE_ALL") != "1":
        ctx.skip_frame = "NONREF"
    threads = os.environ.get("VIDVERIFY_DECODE_THREADS")
    if threads:
        ctx.thread_count = int(threads)
        stream.thread_type = "AUTO"
    elif _pixel_rate(stream) > SINGLE_THREAD_PIXEL_RATE:
        stream.thread_type = "AUTO"
    else:
        # One decoding thread: the OCR keeps the other cores busy, and frame threads cost a
        # third more CPU for the same frames (measured: 3.0 s against 2.25 s for a minute of
        # 1080p30), most of it spent waiting on each other's reference frames.
        ctx.thread_count = 1
    return container, stream


def _pixel_rate(stream: av.video.stream.VideoStream) -> float:
    ctx = stream.codec_context
    return float(ctx.width * ctx.height * float(stream.average_rate or 30))


def _decode(
    path: Path, per_second: float, limits: VideoLimits | None = None, prefetch: int = 8
) -> Iterator[Frame]:
    """Frames at or just after each tick of a ``per_second`` grid, in order: decoded in one go
    in this thread, or in chunks by several threads (``decode_chunks``) where the video can be
    cut; the same frames either way.

    A decode error mid-stream ends the iteration quietly, so a truncated tail still yields what
    was decodable (the caller compares against the header). A frame outside the limits (a
    header that lied, a stream that changed size, a stream longer than it said) raises
    ``UnreadableVideo``: what decoding costs stays bounded by the limits."""
    limits = limits or VideoLimits.from_env()
    chunks = decode_chunks.plan(path) if decode_chunks.threads() > 1 else [decode_chunks.Chunk(None, None)]
    if len(chunks) == 1:
        yield from _decode_chunk(path, per_second, limits, chunks[0])
        return
    per_chunk = max(2, prefetch // decode_chunks.threads())
    yield from decode_chunks.ordered(
        chunks, lambda chunk: _decode_chunk(path, per_second, limits, chunk, cut=True), per_chunk
    )


def _decode_chunk(
    path: Path, per_second: float, limits: VideoLimits, chunk: decode_chunks.Chunk, cut: bool = False
) -> Iterator[Frame]:
    """One chunk's samples. The sampling rule is "the first frame at or after each tick",
    which depends on the frame before: a chunk therefore decodes on past its end to the next
    chunk's first frame and decides that one (taken or not, the next tick is then the first one
    after it), and a chunk skips its own first frame and any leading frames before it. A chunk
    that ends by a decode error ends the video there (``ChunkFailed``), as one decoder would."""
    container, stream = _open(path)
    period = 1.0 / per_second
    base = stream.time_base
    start = stream.start_time or 0
    rate = float(stream.average_rate or 30)
    next_tick = 0.0
    decoded = 0
    try:
        if chunk.start_pts is not None:
            container.seek(chunk.start_pts, stream=stream, backward=True, any_frame=False)
            next_tick = (int(float((chunk.start_pts - start) * base) / period + 1e-6) + 1) * period
        for frame in container.decode(stream):
            if cut and frame.pts is None:
                raise decode_chunks.ChunkFailed("a frame without a presentation time")
            if chunk.start_pts is not None and frame.pts <= chunk.start_pts:
                continue  # the previous chunk decided this one
            t = float((frame.pts - start) * base) if frame.pts is not None and base else decoded / rate
            decoded += 1
            problem = limits.frame_problem(frame.width, frame.height) or limits.duration_problem(t)
            if problem:
                raise UnreadableVideo(problem)
            last = chunk.end_pts is not None and frame.pts >= chunk.end_pts
            if t + 1e-6 >= next_tick:
                next_tick = (int(t / period + 1e-6) + 1) * period
                yield Frame(max(0.0, t), frame)
            if last:
                return
        if chunk.end_pts is not None:
            raise decode_chunks.ChunkFailed("the chunk ended before the next one began")
    except (av.error.FFmpegError, OSError) as exc:
        if cut:
            raise decode_chunks.ChunkFailed(str(exc)) from exc
        return
    finally:
        container.close()


def sample_frames(
    path: Path,
    per_second: float,
    prefetch_bytes: int = PREFETCH_BYTES,
    limits: VideoLimits | None = None,
    stage: Callable[[Iterator[Frame]], Iterator[T]] | None = None,
) -> Iterator[Frame] | Iterator[T]:
    """``_decode`` on a thread of its own, up to ``prefetch_bytes`` of decoded frames ahead.
    Decoding releases the GIL, so on two cores it runs beside the OCR instead of before it:
    the wall time of a check becomes the larger of the two, not their sum. OCR comes in bursts
    (a new screen costs a few hundred milliseconds), so the decoder needs room to run ahead
    during one: a few seconds of samples, bounded in bytes so that memory does not depend on
    the resolution or the length. Opening errors are raised here, in the caller's thread; the
    worker stops when the caller stops iterating.

    ``stage``: per-frame work that needs nothing from the caller (the app's rectangle, the
    thumbnails and their change signals), run on the decoding thread over the decoded frames.
    That thread waits on a full buffer for part of every check while the caller reads text,
    and OpenCV releases the GIL too: the work moves off the caller's critical path."""
    head = header(path)
    pixels = max(1, head.width * head.height)
    prefetch = max(4, prefetch_bytes * 2 // (3 * pixels))  # 4:2:0 frames
    # Half the budget waits measured for the caller, a quarter in the chunks' queues: two
    # decoders at once hold more frames of their own (measured: 60 MB more at 1080p).
    frames = _decode(path, per_second, limits, prefetch=max(2, prefetch // 4))
    first = next(frames, None)  # opens the file here, so UnreadableVideo reaches the caller
    if first is None:
        return
    source = itertools.chain([first], frames)
    yield from _ahead(stage(source) if stage else source, max(2, prefetch // 2), frames.close)


def _ahead(items: Iterator[T], size: int, close: Callable[[], None]) -> Iterator[T]:
    """``items`` produced on a thread of its own, at most ``size`` ahead of the caller; an
    exception there is raised here; ``close`` ends the source when either side stops."""
    buffer: queue.Queue[T | BaseException | None] = queue.Queue(maxsize=size)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        buffer.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    break
        except BaseException as exc:  # surfaced in the caller's thread
            buffer.put(exc)
            return
        finally:
            close()
        buffer.put(None)

    worker = threading.Thread(target=produce, name="vidverify-decode", daemon=True)
    worker.start()
    try:
        yield from decode_chunks.items_of(buffer, None)
    finally:
        stop.set()
        while worker.is_alive():
            try:
                buffer.get_nowait()
            except queue.Empty:
                worker.join(0.05)
