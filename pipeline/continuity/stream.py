"""The file itself as a continuity signal: tags an editor left, and holes in the frame times.

Both are doubts, never proof: an owner may have trimmed the start of an honest take in an
editor, and a phone under load drops frames. A reviewer is asked, with the tag or the times.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import av

EDITORS_FILE = Path(__file__).with_name("editing_software.json")
MAX_FRAME_GAP_S = 1.0  # no frame for this long: more than a dropped frame or two


@dataclass(frozen=True)
class Gap:
    start_s: float
    end_s: float


@lru_cache(maxsize=1)
def _editor_pattern() -> re.Pattern[str]:
    names = json.loads(EDITORS_FILE.read_text())["editors"]
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z0-9])({alternatives})(?![A-Za-z0-9])", re.IGNORECASE)


def container_tags(path: Path) -> dict[str, str]:
    """Every text tag of the container and its streams (header only, no decoding)."""
    tags: dict[str, str] = {}
    try:
        with av.open(str(path)) as container:
            tags.update({f"format:{k}": str(v) for k, v in container.metadata.items()})
            for stream in container.streams:
                tags.update({f"{stream.type}:{k}": str(v) for k, v in stream.metadata.items()})
    except (av.error.FFmpegError, OSError):
        return {}
    return tags


def editors_named(tags: dict[str, str]) -> list[str]:
    """The editing programs the tags name, as ``key: name``."""
    found: list[str] = []
    pattern = _editor_pattern()
    for key, value in tags.items():
        m = pattern.search(value)
        if m:
            found.append(f"{key}: {m.group(1)}")
    return found


def frame_gaps(times: list[float], max_gap_s: float = MAX_FRAME_GAP_S) -> list[Gap]:
    """Stretches with no decoded frame for longer than ``max_gap_s``."""
    return [Gap(a, b) for a, b in zip(times, times[1:], strict=False) if b - a > max_gap_s]
