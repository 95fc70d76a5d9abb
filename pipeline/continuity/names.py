"""The drone's name on the About page: one take shows one drone.

Names are compared as Tesseract reads them, and it reads the same name in more than one way:
spaces dropped ("DJIAir 3"), look-alike characters swapped ("DJL Air 3", "Air 25" for "Air 2S").
So reads are compared in a canonical form: capitals and digits only, the look-alikes folded
together. A name is *sure* once two reads give the same form. Two sure names that differ in two
characters or more are two drones, which only an edit can show in one recording. Anything less
(two sure names a character apart, a lone read unlike every sure name) is a doubt for a person.
Only confident reads reach this check (``reading.about``): a misread name is no name at all.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from pipeline.models import Evidence, Finding, Reason

_NOT_ALNUM = re.compile(r"[^A-Z0-9]")
# Characters the Latin model confuses in the apps' sans-serif faces, each folded to one.
_LOOK_ALIKE = str.maketrans({"L": "I", "1": "I", "0": "O", "Q": "O", "5": "S", "8": "B", "2": "Z"})
APART = 2  # characters by which two sure names differ before they are two drones
NOISE = 0.6  # a lone read this similar to a sure name (difflib ratio) is that name misread


@dataclass(frozen=True)
class NameRead:
    frame: int  # observation index
    time_s: float
    text: str


@dataclass(frozen=True)
class NameCheck:
    finding: Finding | None  # two drones: video_edited
    doubt: str | None
    spans: tuple[tuple[float, float], ...]  # where each sure name was followed


def canonical(name: str) -> str:
    return _NOT_ALNUM.sub("", name.upper()).translate(_LOOK_ALIKE)


def distance(a: str, b: str) -> int:
    """Edits (insert, delete, substitute) between two short strings."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def check(reads: list[NameRead]) -> NameCheck:
    groups: dict[str, list[NameRead]] = {}
    for r in reads:
        if key := canonical(r.text):
            groups.setdefault(key, []).append(r)
    sure = sorted(((k, g) for k, g in groups.items() if len(g) >= 2), key=lambda kg: kg[1][0].time_s)
    spans = tuple((g[0].time_s, g[-1].time_s) for _, g in sure)
    apart = [(a, b) for i, (ka, a) in enumerate(sure) for kb, b in sure[i + 1 :] if distance(ka, kb) >= APART]
    if apart:
        a, b = apart[0]
        return NameCheck(_edited(a[0], b[0]), None, spans)
    odd = [
        g[0]
        for k, g in groups.items()
        if len(g) < 2 and not any(difflib.SequenceMatcher(None, k, ks).ratio() >= NOISE for ks, _ in sure)
    ]
    shown = [g[0].text for _, g in sure] + [r.text for r in odd]
    if len(sure) >= 2 or (sure and odd):
        return NameCheck(None, "the About page's device name read two ways: " + ", ".join(shown[:3]), spans)
    return NameCheck(None, None, spans)


def _edited(a: NameRead, b: NameRead) -> Finding:
    return Finding(
        reason=Reason.VIDEO_EDITED,
        message=f"the About page names the drone '{a.text}' at {a.time_s:.1f}s "
        f"and '{b.text}' at {b.time_s:.1f}s",
        time_s=round(b.time_s, 2),
        evidence=[
            Evidence(time_s=round(a.time_s, 2), note=f"device name {a.text}", frame_ref=a.frame),
            Evidence(time_s=round(b.time_s, 2), note=f"device name {b.text}", frame_ref=b.frame),
        ],
    )
