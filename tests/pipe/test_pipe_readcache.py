"""The band cache: the same text is read once, any changed word is read again."""

from __future__ import annotations

import cv2
import numpy as np

from pipeline.readcache import ReadCache, unchanged


def _band(text: str, noise: int = 0, seed: int = 0) -> np.ndarray:
    img = np.full((60, 800), 40, np.uint8)
    cv2.putText(img, text, (10, 42), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 255, 2)
    if noise:
        rng = np.random.default_rng(seed)
        img = cv2.add(img, rng.integers(0, noise, img.shape, dtype=np.uint8))
    return img


def test_noise_is_unchanged_and_a_digit_is_a_change() -> None:
    assert unchanged(_band("10:41  Ready to Go", 12, 1), _band("10:41  Ready to Go", 12, 2))
    assert not unchanged(_band("10:41  Ready to Go"), _band("10:42  Ready to Go"))
    assert not unchanged(_band("Ready to Go"), _band("Compass Error"))
    assert not unchanged(_band("a"), _band("a")[:50])


def test_cache_computes_only_on_change() -> None:
    cache = ReadCache()
    calls: list[int] = []

    def compute(grey: np.ndarray) -> list[int]:
        calls.append(1)
        return [len(calls)]

    first = cache.read("bar", _band("10:41 Ready"), compute)
    again = cache.read("bar", _band("10:41 Ready", 10, 3), compute)
    other_key = cache.read("clock", _band("10:41 Ready"), compute)
    changed = cache.read("bar", _band("10:42 Ready"), compute)
    assert first == again == [1] and other_key == [2] and changed == [3]
    assert (cache.hits, cache.misses) == (1, 3)
