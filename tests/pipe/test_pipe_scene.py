"""The scene check's comparisons: prepared once per view and shared by threads, each pair gets
the correlation that comparing its two pictures alone gives."""

from __future__ import annotations

import numpy as np

from pipeline.continuity import scene


def _picture(rng: np.random.Generator, shift: int = 0) -> np.ndarray:
    base = rng.integers(0, 255, (60, 200), dtype=np.uint8)
    return np.ascontiguousarray(np.roll(base, shift, axis=0))


def test_threaded_comparisons_equal_one_by_one() -> None:
    rng = np.random.default_rng(7)
    usable = [
        tuple(scene.View(float(k), _picture(rng, k)) for k in range(3)),
        tuple(scene.View(10.0 + k, _picture(rng)) for k in range(4)),
        (scene.View(20.0, np.full((60, 200), 90, np.uint8)),),  # flat: never correlates
    ]
    pairs = [
        (i, a, j, b)
        for i in range(3)
        for j in range(i + 1, 3)
        for a in range(len(usable[i]))
        for b in range(len(usable[j]))
    ]
    got = scene._similarities(usable, pairs)
    want = [scene.similarity(usable[i][a].picture, usable[j][b].picture) for i, a, j, b in pairs]
    assert got == want
    assert len(got) == len(pairs) and len(set(got)) > 2  # real, differing correlations
    # The flat view has no patch: only the other view's patch is searched in it.
    assert all(s < 0.5 for (_, _, j, _), s in zip(pairs, got, strict=True) if j == 2)


def test_check_finds_one_place_and_another() -> None:
    rng = np.random.default_rng(3)
    place = _picture(rng)
    other = _picture(rng)
    same = [
        scene.Segment(k * 10.0, k * 10.0 + 5, (scene.View(k * 10.0, place), scene.View(k * 10.0 + 1, place)))
        for k in range(2)
    ]
    away = scene.Segment(30.0, 35.0, (scene.View(30.0, other), scene.View(31.0, other)))
    result = scene.check([*same, away])
    assert result.other_place == (2,)
    assert result.best[0] > 0.99 and result.best[1] > 0.99
