"""A failed submission's error as a sentence an operator can act on, from the patterns in
``web/data/error_texts.json`` (data, so wording changes need no code change)."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

ERROR_TEXTS = Path(__file__).parent / "data" / "error_texts.json"


@functools.cache
def _texts() -> dict[str, Any]:
    data = json.loads(ERROR_TEXTS.read_text(encoding="utf-8"))
    data["compiled"] = [(re.compile(p["pattern"], re.IGNORECASE), p["text"]) for p in data["patterns"]]
    return data


def explain(error: str | None, kind: str | None = None) -> str:
    """One or two sentences: what went wrong, and whether requeueing may help."""
    texts = _texts()
    error = error or ""
    sentence = next((text for pattern, text in texts["compiled"] if pattern.search(error)), texts["fallback"])
    advice = texts["kinds"].get(kind or "", "")
    return f"{sentence} {advice}".strip()
