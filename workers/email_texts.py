"""The owners' e-mail texts, one data file per locale (``workers/data/emails/<locale>.json``).

English (``en.json``) is complete by definition; another locale's file is laid over it key
by key, so a key a translation lacks reads in English instead of failing a mail. The tests
hold every file to English's keys and placeholders, so that fallback is a safety net, not a
way for a translation to go missing unnoticed.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from workers.locales import DEFAULT, TEXTS_DIR, supported


def load(locale: str) -> dict[str, Any]:
    """One locale's file as written (no fallback)."""
    return json.loads((TEXTS_DIR / f"{locale}.json").read_text(encoding="utf-8"))


def _over(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in top.items():
        nested = isinstance(value, dict) and isinstance(base.get(key), dict)
        merged[key] = _over(base[key], value) if nested else value
    return merged


@functools.cache
def texts(locale: str | None) -> dict[str, Any]:
    """The texts of ``locale`` (a supported one; anything else reads English), English
    filling every key the locale's file lacks."""
    english = load(DEFAULT)
    if not locale or locale == DEFAULT or locale not in supported():
        return english
    return _over(english, load(locale))


def language(locale: str | None) -> str:
    """The language the texts of ``locale`` are in (its tag, or English's)."""
    return locale if locale and locale in supported() else DEFAULT
