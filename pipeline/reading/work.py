"""OCR calls shared by the region readers, split between this thread and a side pool.

Tesseract releases the GIL while it works, so two reads at once use two cores. The pool is
made by whoever runs a video's reads (``timeline.build_timeline``) and handed to the readers:
no reader owns a thread.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from typing import TypeVar

import cv2
import numpy as np

from pipeline import preprocess
from pipeline.ocr import READ_THREADS, OcrEngine, OcrLine

T = TypeVar("T")

SIDE_THREADS = READ_THREADS - 1  # the caller's thread reads too
BAND_PAD = 24  # white rows around a band read on its own


def ocr(
    engine: OcrEngine, grey: np.ndarray, dx: int = 0, dy: int = 0, dark_on_light: bool = False
) -> list[OcrLine]:
    return [line.shifted(dx, dy) for line in engine.read_lines(grey, dark_on_light=dark_on_light)]


def gather(pool: Executor, calls: list[Callable[[], T]]) -> list[T]:
    """Run ``calls``, results in order: the first here, the others queued for the side threads;
    whatever no side thread has started by the time this thread is free, it takes back (from
    the end of the queue) and runs itself. The side threads are often busy with the bar and
    the clock of the same read: a fixed split then leaves this thread waiting on work queued
    behind theirs, and this thread is the check's critical path. Safe from a side thread too:
    work it queued for itself is taken back, never waited for."""
    if not calls:
        return []
    futures = [pool.submit(call) for call in calls[1:]]
    out: list[T | None] = [calls[0](), *([None] * len(futures))]
    for k in range(len(futures) - 1, -1, -1):
        if futures[k].cancel():
            out[k + 1] = calls[k + 1]()
    for k, future in enumerate(futures):
        if not future.cancelled():
            out[k + 1] = future.result()
    return out  # type: ignore[return-value]


def split_work(pool: Executor, calls: list[Callable[[], T]]) -> list[T]:
    """Run ``calls`` in order, every second one on a side thread: reads that each load a model
    (one per script), where which thread runs which call decides how many models are loaded;
    same-model reads share out better through ``gather``."""
    beside = pool.submit(lambda: [call() for call in calls[1::2]]) if len(calls) > 1 else None
    here = [call() for call in calls[0::2]]
    there = beside.result() if beside is not None else []
    out: list[T] = []
    for i in range(len(calls)):
        out.append(here[i // 2] if i % 2 == 0 else there[i // 2])
    return out


def read_whole(engine: OcrEngine, pool: Executor, binary: np.ndarray) -> list[OcrLine]:
    """A black-on-white page cut in two at a blank row and read on two threads."""
    cut = preprocess.blank_row_near_middle(binary)
    h = binary.shape[0]
    return read_bands(engine, pool, binary, [(0, h)] if cut is None else [(0, cut), (cut, h)])


def read_bands(
    engine: OcrEngine, pool: Executor, binary: np.ndarray, bands: list[tuple[int, int]]
) -> list[OcrLine]:
    """Row bands of one image, shared with the side threads (``gather``)."""
    reads = gather(pool, [lambda a=a, b=b: read_band(engine, binary, a, b) for a, b in bands])
    return [line for read in reads for line in read]


def read_band(engine: OcrEngine, binary: np.ndarray, top: int, bottom: int) -> list[OcrLine]:
    """A band with white margins above and below, as it would sit on a page: Tesseract judges
    word spacing and line height worse on a strip cut flush to the text."""
    top, bottom = max(0, top), min(binary.shape[0], bottom)
    if bottom <= top:
        return []  # a band scrolled out of the image (``page_diff``) holds nothing to read
    if top == 0 and bottom == binary.shape[0]:
        return ocr(engine, binary, dark_on_light=True)
    pad = BAND_PAD
    band = cv2.copyMakeBorder(binary[top:bottom], pad, pad, 0, 0, cv2.BORDER_CONSTANT, value=255)
    return ocr(engine, band, 0, top - pad, dark_on_light=True)
