"""What a recording may cost before a byte of it is decoded.

A few hundred kilobytes of video can describe 12000x12000 frames, an hour at 240 fps or a
16-pixel strip: the first costs gigabytes, the second hours, the third crashes image code that
expects a screen. The header (geometry, frame rate, duration) is checked against these limits
first, and every decoded frame again (a header can lie, a stream can change size), so memory
and time are bounded by the limits, not by the file. Each refusal names the limit and its
setting, and becomes a ``video_unreadable`` finding.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


def _env(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    return float(raw) if raw else default


@dataclass(frozen=True)
class Header:
    """What the container says before decoding."""

    width: int
    height: int
    fps: float
    duration_s: float


@dataclass(frozen=True)
class VideoLimits:
    min_side_px: int = 120  # smaller than any phone screen; image code needs room
    max_side_px: int = 4096
    max_frame_pixels: int = 4096 * 2304  # 4K UHD fits, a 12000x12000 frame does not
    max_fps: float = 120.0
    max_pixel_rate: float = 2732 * 2048 * 60  # an iPad Pro screen at 60 fps; 4K60 is refused
    max_duration_s: float = 15 * 60
    # width x height x frames of the whole video: 15 minutes of 2400x1080 at 60 fps.
    max_decode_pixels: float = 2400 * 1080 * 60 * 15 * 60

    @classmethod
    def from_env(cls) -> VideoLimits:
        d = cls()
        return cls(
            min_side_px=int(_env("VIDVERIFY_MIN_SIDE_PX", d.min_side_px)),
            max_side_px=int(_env("VIDVERIFY_MAX_SIDE_PX", d.max_side_px)),
            max_frame_pixels=int(_env("VIDVERIFY_MAX_FRAME_PIXELS", d.max_frame_pixels)),
            max_fps=_env("VIDVERIFY_MAX_FPS", d.max_fps),
            max_pixel_rate=_env("VIDVERIFY_MAX_PIXEL_RATE", d.max_pixel_rate),
            max_duration_s=_env("VIDVERIFY_MAX_DURATION_S", d.max_duration_s),
            max_decode_pixels=_env("VIDVERIFY_MAX_DECODE_PIXELS", d.max_decode_pixels),
        )

    def frame_problem(self, width: int, height: int) -> str | None:
        """Why a frame of this size is refused, or None."""
        if min(width, height) < self.min_side_px:
            return (
                f"the frames are {width}x{height} px, smaller than the {self.min_side_px} px "
                "per side a screen recording needs (VIDVERIFY_MIN_SIDE_PX)"
            )
        if max(width, height) > self.max_side_px:
            return (
                f"the frames are {width}x{height} px, more than the {self.max_side_px} px per side "
                "allowed (VIDVERIFY_MAX_SIDE_PX)"
            )
        if width * height > self.max_frame_pixels:
            return (
                f"the frames are {width}x{height} px, more than the {self.max_frame_pixels} pixels "
                "per frame allowed (VIDVERIFY_MAX_FRAME_PIXELS)"
            )
        return None

    def duration_problem(self, duration_s: float) -> str | None:
        if duration_s > self.max_duration_s:
            return (
                f"the video lasts {duration_s:.0f} s, more than the {self.max_duration_s:.0f} s "
                "allowed (VIDVERIFY_MAX_DURATION_S)"
            )
        return None

    def header_problem(self, header: Header) -> str | None:
        """Why this video is refused before decoding, or None."""
        problem = self.frame_problem(header.width, header.height)
        if problem:
            return problem
        if header.fps > self.max_fps:
            return (
                f"the video has {header.fps:g} frames per second, more than the {self.max_fps:g} "
                "allowed (VIDVERIFY_MAX_FPS)"
            )
        rate = header.width * header.height * header.fps
        if rate > self.max_pixel_rate:
            return (
                f"{header.width}x{header.height} at {header.fps:g} fps is {rate / 1e6:.0f} M pixels "
                f"per second, more than the {self.max_pixel_rate / 1e6:.0f} M allowed "
                "(VIDVERIFY_MAX_PIXEL_RATE)"
            )
        problem = self.duration_problem(header.duration_s)
        if problem:
            return problem
        total = rate * header.duration_s
        if total > self.max_decode_pixels:
            return (
                f"decoding would cost {total / 1e9:.0f} G pixels ({header.width}x{header.height}, "
                f"{header.fps:g} fps, {header.duration_s:.0f} s), more than the "
                f"{self.max_decode_pixels / 1e9:.0f} G allowed (VIDVERIFY_MAX_DECODE_PIXELS)"
            )
        return None
