"""Reading screens: one frame in, one ``Observation`` out (see ``reader.ScreenReader``).

- ``regions``: a reader per region (phone clock, app top bar, page), each with its memory;
  ``memory`` (band looks) and ``page_diff`` (changed rows, scroll following) are theirs.
- ``classify``: texts to a ``ScreenKind`` and a template, a pure function.
- ``facts`` and ``about``: one extractor per screen kind, each returning a frozen dataclass.
- ``work``: OCR calls split between the caller's thread and the injected side pool.
"""

from pipeline.reading.classify import ScreenKind
from pipeline.reading.observation import Observation
from pipeline.reading.reader import ScreenReader

__all__ = ["Observation", "ScreenKind", "ScreenReader"]
