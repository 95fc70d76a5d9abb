"""The live picture as a continuity signal: a drone on the ground sees one place all take long.

Every camera view of an honest recording shows the same scene, moved by the gimbal's tilt and
the app's slight drift, brightened or darkened by auto-exposure, blurred by compression. A step
pasted in from another take shows another place. Each camera-view segment is compared with
every other one by normalised cross-correlation of the middle of the picture (overlays sit at
the edges), searched over vertical and horizontal shifts: the correlation does not care about
brightness and contrast, the shift search does not care about a tilt.

Only a segment that matches no other one on any of its views, while being textured enough to
tell, is another place; a flat or dark picture is "could not tell", never a difference.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import cv2
import numpy as np

# The middle of the picture, as fractions of the app's rectangle: the top bar, the side
# buttons, the pitch scale and the bottom telemetry all lie outside it.
PICTURE = (0.18, 0.80, 0.15, 0.80)  # top, bottom, left, right
PATCH = 0.70  # share of the picture's width and height used as the template
MIN_TEXTURE = 6.0  # grey-level standard deviation below which a picture cannot be told apart
SAME_SCENE = 0.55  # correlation at or above which two views show one place
OTHER_SCENE = 0.30  # correlation under which two views show different places
MIN_VIEWS = 2  # views of a segment that must all fail to match before it is another place
SCENE_THREADS = 2  # the comparisons of views run on this many threads


@dataclass(frozen=True)
class View:
    time_s: float
    picture: np.ndarray  # grey middle of the picture (see ``picture_of``)

    @property
    def textured(self) -> bool:
        return float(self.picture.std()) >= MIN_TEXTURE


@dataclass(frozen=True)
class Segment:
    start_s: float
    end_s: float
    views: tuple[View, ...]


@dataclass(frozen=True)
class SceneCheck:
    followed: tuple[tuple[float, float], ...]  # segments matched to another: one place seen
    other_place: tuple[int, ...]  # indices of segments that match no other segment
    untold: tuple[int, ...]  # segments too flat to compare
    best: tuple[float, ...]  # per segment, its best correlation with any other segment


SCENE_WIDTH = 320  # pixels of the picture kept per view: enough detail to tell two places apart


def picture_of_luma(luma: np.ndarray) -> np.ndarray:
    """The middle of the picture from a frame's luma, small (kept for the whole video)."""
    h, w = luma.shape[:2]
    small = cv2.resize(luma, (SCENE_WIDTH, max(1, round(SCENE_WIDTH * h / w))), interpolation=cv2.INTER_AREA)
    return picture_of(small)


def _detail(picture: np.ndarray) -> np.ndarray:
    """Fine structure only: two landscapes share a sky above a ground, a place has its own edges."""
    p = picture.astype(np.float32)
    return cv2.GaussianBlur(p, (0, 0), 1.0) - cv2.GaussianBlur(p, (0, 0), 4.0)


def picture_of(thumb: np.ndarray) -> np.ndarray:
    """The middle of a grey thumbnail of the app's rectangle."""
    h, w = thumb.shape[:2]
    top, bottom, left, right = PICTURE
    return np.ascontiguousarray(thumb[int(h * top) : int(h * bottom), int(w * left) : int(w * right)])


@dataclass(frozen=True)
class _Prepared:
    """A picture's fine structure, and the middle of it that is searched for in other pictures
    (None when too flat to correlate): made once per view, not once per pair of views."""

    detail: np.ndarray
    patch: np.ndarray | None


def _prepare(picture: np.ndarray) -> _Prepared:
    detail = _detail(picture)
    h, w = picture.shape[:2]
    ph, pw = int(h * PATCH), int(w * PATCH)
    y0, x0 = (h - ph) // 2, (w - pw) // 2
    patch = detail[y0 : y0 + ph, x0 : x0 + pw]
    return _Prepared(detail, patch if patch.std() >= 1e-3 else None)


def _similarity(a: _Prepared, b: _Prepared) -> float:
    best = -1.0
    for x, y in ((a, b), (b, a)):
        if x.patch is None:
            continue
        scores = cv2.matchTemplate(y.detail, x.patch, cv2.TM_CCOEFF_NORMED)
        best = max(best, float(scores.max()))
    return best


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Best normalised correlation of a's middle anywhere in b, and of b's middle in a."""
    return _similarity(_prepare(a), _prepare(b))


def _similarities(usable: list[tuple[View, ...]], pairs: list[tuple[int, int, int, int]]) -> list[float]:
    """``similarity`` of each pair of views (segment, view, segment, view), each view prepared
    once, the pairs shared by SCENE_THREADS threads: the check runs after the decoder has
    finished, with the other core free, and OpenCV releases the GIL while it correlates."""
    prepared = [[_prepare(v.picture) for v in views] for views in usable]
    if len(pairs) < 2 * SCENE_THREADS:
        return [_similarity(prepared[i][a], prepared[j][b]) for i, a, j, b in pairs]

    def chunk(part: list[tuple[int, int, int, int]]) -> list[float]:
        return [_similarity(prepared[i][a], prepared[j][b]) for i, a, j, b in part]

    parts = [pairs[k::SCENE_THREADS] for k in range(SCENE_THREADS)]
    with ThreadPoolExecutor(max_workers=SCENE_THREADS, thread_name_prefix="vidverify-scene") as pool:
        done = list(pool.map(chunk, parts))
    out = [0.0] * len(pairs)
    for k, values in enumerate(done):
        out[k::SCENE_THREADS] = values
    return out


def check(segments: list[Segment]) -> SceneCheck:
    n = len(segments)
    usable = [tuple(v for v in s.views if v.textured) for s in segments]
    best = [-1.0] * n
    best_per_view: list[list[float]] = [[-1.0] * len(v) for v in usable]
    pairs = [
        (i, a, j, b)
        for i in range(n)
        for j in range(i + 1, n)
        for a in range(len(usable[i]))
        for b in range(len(usable[j]))
    ]
    for (i, a, j, b), s in zip(pairs, _similarities(usable, pairs), strict=True):
        best_per_view[i][a] = max(best_per_view[i][a], s)
        best_per_view[j][b] = max(best_per_view[j][b], s)
        best[i], best[j] = max(best[i], s), max(best[j], s)
    followed = tuple((segments[i].start_s, segments[i].end_s) for i in range(n) if best[i] >= SAME_SCENE)
    untold = tuple(i for i in range(n) if len(usable[i]) == 0)
    others_with_views = [i for i in range(n) if usable[i]]
    other_place = tuple(
        i
        for i in others_with_views
        if len(usable[i]) >= MIN_VIEWS
        and len(others_with_views) >= 2
        and all(s < OTHER_SCENE for s in best_per_view[i])
    )
    return SceneCheck(followed, other_place, untold, tuple(round(b, 3) for b in best))
