"""Probe and decode: streaming reads, never the whole video in memory.

Frames are read sequentially with ``grab()`` and only sampled frames are ``retrieve()``d: a seek
per sample decodes from the previous keyframe and is slower than reading through, and
``retrieve`` (colour conversion and copy) is the part worth skipping.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from pipeline.models import VideoInfo


class UnreadableVideo(Exception):
    """The input is not a decodable video; becomes the ``video_unreadable`` verdict."""


@dataclass
class Frame:
    index: int
    time_s: float
    image: np.ndarray  # BGR


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def probe(path: Path) -> VideoInfo:
    """Facts about the file, checked well enough to trust the sampler that follows."""
    if not path.exists():
        raise UnreadableVideo(f"file not found: {path}")
    if path.stat().st_size == 0:
        raise UnreadableVideo("the file is empty")
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    try:
        if not cap.isOpened():
            raise UnreadableVideo("not a video container that can be opened")
        width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        frames = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        fourcc = int(cap.get(cv2.CAP_PROP_FOURCC) or 0)
        if width <= 0 or height <= 0:
            raise UnreadableVideo("no video stream")
        ok, first = cap.read()
        if not ok or first is None:
            raise UnreadableVideo("no frame could be decoded")
    finally:
        cap.release()
    if not (1.0 <= fps <= 240.0):
        fps = 30.0
    codec = "".join(chr((fourcc >> (8 * i)) & 0xFF) for i in range(4)).strip("\x00 ")
    return VideoInfo(
        duration_s=round(frames / fps, 3) if frames > 0 else 0.0,
        fps=round(fps, 3),
        width=width,
        height=height,
        frames=max(frames, 0),
        sha256=sha256_of(path),
        codec=codec,
    )


def sample_frames(path: Path, fps: float, every: int) -> Iterator[Frame]:
    """Every ``every``-th frame, decoded in order; the others are grabbed and dropped.

    Timing comes from the frame index and the stream rate (screen recordings here are
    constant-rate H.264); a decode error mid-stream ends the iteration quietly, so a
    truncated tail still yields what was decodable (the caller compares against the header).
    """
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    if not cap.isOpened():
        raise UnreadableVideo("not a video container that can be opened")
    threads = os.environ.get("VIDVERIFY_DECODE_THREADS")
    if threads:
        cap.set(cv2.CAP_PROP_N_THREADS, int(threads))
    index = 0
    try:
        while True:
            if not cap.grab():
                break
            if index % every == 0:
                ok, image = cap.retrieve()
                if not ok or image is None:
                    break
                yield Frame(index, index / fps, image)
            index += 1
    finally:
        cap.release()
