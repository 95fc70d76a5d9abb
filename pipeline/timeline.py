"""One pass over the video: cheap signals on every sample, OCR only where the screen changed.

``schedule.FramePlanner`` decides which samples are read and how; a ``reading.ScreenReader``
(one per video, with its region memories) reads them; the side thread pool both use is made
here, or handed in. The rest of the pipeline works on the resulting ``Timeline``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

from pipeline import preprocess
from pipeline.continuity import scene
from pipeline.frame_rect import AppFrame, app_frames
from pipeline.ocr import OcrEngine
from pipeline.reading import Observation, ScreenKind, ScreenReader
from pipeline.reading.language import UiLanguage
from pipeline.reading.work import SIDE_THREADS
from pipeline.schedule import FramePlanner, Motion, ReadMode, Sample, motion, onset
from pipeline.templates import Template
from pipeline.video import Frame, sample_frames

log = logging.getLogger(__name__)

SAMPLES_PER_SECOND = 4.0
SCENE_EVERY_S = 0.5
EVIDENCE_WIDTH = 1280

Progress = Callable[[float, str], None]

__all__ = ["Progress", "Sample", "Timeline", "build_timeline", "side_pool"]


@dataclass
class Timeline:
    samples: list[Sample] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    images: dict[int, bytes] = field(default_factory=dict)  # observation index -> JPEG
    frame_size: tuple[int, int] = (0, 0)  # of the app's rectangle (``frame_rect``)
    thumb_height: int = 0
    # The middle of the live picture twice a second, for the scene check (``continuity``).
    scenes: list[tuple[float, np.ndarray]] = field(default_factory=list)
    language: UiLanguage | None = None  # the reader's, once the video has been read


@contextmanager
def side_pool() -> Iterator[Executor]:
    """The side threads of one check: reads beside the caller's (see ``reading.work``)."""
    with ThreadPoolExecutor(max_workers=SIDE_THREADS, thread_name_prefix="vidverify-ocr") as pool:
        yield pool


def build_timeline(
    path: Path,
    fps: float,
    total_frames: int,
    templates: tuple[Template, ...],
    engine: OcrEngine,
    keep_images: bool = False,
    progress: Progress | None = None,
    pool: Executor | None = None,
) -> Timeline:
    if pool is None:
        with side_pool() as own:
            return build_timeline(path, fps, total_frames, templates, engine, keep_images, progress, own)
    tl = Timeline()
    planner = FramePlanner()
    reader = ScreenReader(templates, engine, pool)

    def last_screen() -> ScreenKind | None:
        return tl.observations[-1].screen if tl.observations else None

    def read(sample: Sample, frame: AppFrame, new_screen: bool = True, last_of_screen: bool = False) -> None:
        previous = tl.observations[-1] if tl.observations else None
        mode = planner.read_mode(sample, new_screen, previous.screen if previous else None)
        continues = previous is not None and (last_of_screen or not new_screen)
        if mode is ReadMode.BAR and previous is not None:
            obs = reader.read_bar(frame.image, sample.time_s, previous)
        else:
            after_page = previous is not None and previous.screen.is_page
            obs = reader.read(frame.image, sample.time_s, after_page=after_page, refresh=continues)
        obs = replace(obs, onset_s=onset(tl.samples, sample), continues=continues)
        _release_thumbs(tl.samples, sample)
        log.debug("read %.2f %s %s", sample.time_s, mode.value, obs.screen)
        sample.observation = len(tl.observations)
        tl.observations.append(obs)
        if keep_images:
            tl.images[sample.observation] = _jpeg(frame.image)

    held: AppFrame | None = None
    for measured in sample_frames(path, SAMPLES_PER_SECOND, stage=_measured):
        frame = measured.frame
        if not tl.frame_size[0]:
            tl.frame_size = measured.size
        if measured.scene is not None:
            tl.scenes.append((frame.time_s, measured.scene))
        tl.thumb_height = measured.thumb.shape[0]
        sample, plan = planner.offer(frame.time_s, measured.thumb, last_screen(), measured.motion)
        log.debug(
            "%6.2f change=%5.1f shift=%5.2f new=%d read=%d",
            frame.time_s,
            sample.change,
            sample.shift_y,
            plan.new_screen,
            plan.read_now,
        )
        if plan.read_held is not None and held is not None:
            # Another screen replaces this one: the last, settled frame of the old one first,
            # so that the final state of a scrolled page is never skipped.
            read(plan.read_held, held, last_of_screen=True)
        if plan.read_now:
            read(sample, frame, plan.new_screen)
        held = None if plan.read_now else frame
        tl.samples.append(sample)
        if progress and total_frames:
            progress(min(1.0, frame.time_s * fps / total_frames), "reading screens")
    last = planner.finish()
    if last is not None and held is not None:
        read(last, held)
    tl.language = reader.language
    log.debug(
        "language %s (model %s, %d probes)",
        reader.language.settled,
        reader.language.model,
        reader.language.probes,
    )
    return tl


@dataclass(frozen=True)
class Measured:
    """One sample with what is measured of it before any decision: its thumbnail, its motion
    against the previous sample and, twice a second, the scene picture."""

    frame: AppFrame
    thumb: np.ndarray
    motion: Motion
    scene: np.ndarray | None

    @property
    def size(self) -> tuple[int, int]:
        grey = self.frame.grey
        return (grey.shape[1], grey.shape[0])


def _measured(frames: Iterator[Frame]) -> Iterator[Measured]:
    """The app's frames, measured: run on the decoding thread (``video.sample_frames``'s
    ``stage``), since none of it depends on what the reader found."""
    prev: np.ndarray | None = None
    next_scene_t = 0.0
    for frame in app_frames(frames):
        luma = frame.grey
        thumb = preprocess.thumbnail_of_luma(luma, frame.limited_range)
        picture = None
        if frame.time_s >= next_scene_t:
            picture = scene.picture_of_luma(luma)
            next_scene_t = frame.time_s + SCENE_EVERY_S
        yield Measured(frame, thumb, motion(prev, thumb), picture)
        prev = thumb


def _release_thumbs(samples: list[Sample], current: Sample) -> None:
    """Nothing looks further back than the latest read: older thumbnails can go."""
    for older in reversed(samples):
        if older is current:
            continue
        if older.thumb is None:
            break
        older.thumb = None


def _jpeg(image: np.ndarray) -> bytes:
    h, w = image.shape[:2]
    if w > EVIDENCE_WIDTH:
        image = cv2.resize(
            image, (EVIDENCE_WIDTH, round(h * EVIDENCE_WIDTH / w)), interpolation=cv2.INTER_AREA
        )
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return buf.tobytes() if ok else b""
