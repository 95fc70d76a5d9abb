"""Screen templates: every app text the pipeline knows comes from ``ocr_templates/*.json``.

One file per app and UI language; adding a language, or an app, is adding a file. The code
matches OCR output against these phrase lists and never spells an app string itself; rules
that differ between apps are fields here too (``priority``, ``status.must_reach_end``).
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field

TEMPLATE_DIR = Path(os.environ.get("VIDVERIFY_TEMPLATES", Path(__file__).parent.parent / "ocr_templates"))


class ScreenSignature(BaseModel):
    title: list[str] = Field(default_factory=list)
    labels: list[str] = Field(default_factory=list)
    min_labels: int = 2


class SerialLabels(BaseModel):
    rc: list[str]
    aircraft: list[str]
    other: list[str] = Field(default_factory=list)
    # The drone's own name on the About page: not a serial, but it stays the same all take long.
    device_name: list[str] = Field(default_factory=list)


class CalibrationWords(BaseModel):
    progress: list[str]
    done: list[str]
    failed: list[str] = Field(default_factory=list)
    # A percentage counts as the calibration's progress on a progress line, or on a line that
    # holds one of these (lower case, as part of a word: the dialog's own name).
    percent_words: list[str] = Field(default_factory=list)


class StatusWords(BaseModel):
    end_rows: list[str]
    ready: list[str]
    errors: list[str]
    warning_colours: bool = True  # a warning colour with unreadable words is a doubt
    # The status list must be seen scrolled to one of its ``end_rows`` for a confident check.
    must_reach_end: bool = False


class CameraWords(BaseModel):
    gps_weak: list[str]
    link_weak: list[str] = Field(default_factory=list)
    min_satellites: int = 8
    # A ready status naming a GPS fix ("Ready to Go (GPS)"), lower case, as part of a word:
    # strong GPS, with less confidence, when the satellite count is unreadable.


class Template(BaseModel):
    app: str  # the report's ``app`` when this template fits best
    language: str
    description: str = ""
    # Between templates whose markers were read equally often, the higher priority is chosen.
    priority: int = 0
    # The Tesseract model the page and the bar are read with ("eng", "fra", "jpn", ...; "a+b"
    # allowed). Serials are read with the Latin model whatever the UI language.
    tesseract: str = "eng"
    # This template's model is its script family's scout: read first when a page may be in that
    # script, it keeps its confidence on every language of the family (``reading.language``).
    scout: bool = False
    app_markers: list[str]
    # Scored from their labels and titles: about, status_list, settings. The calibration
    # dialog is scored from the ``calibration`` words (progress with a percentage, done, failed).
    screens: dict[str, ScreenSignature]
    serial_labels: SerialLabels
    calibration: CalibrationWords
    status: StatusWords
    camera: CameraWords
    # Where each string comes from: source id -> what the source is (repository and file, page)...
    sources: dict[str, str] = Field(default_factory=dict)
    # ...and string -> source id, or "none" where no source was found (said in ``description``).
    string_sources: dict[str, str] = Field(default_factory=dict)

    def phrases(self) -> set[str]:
        """Every app string of this template: what ``string_sources`` must account for."""
        found: set[str] = set(self.app_markers)
        for sig in self.screens.values():
            found.update(sig.title, sig.labels)
        for group in (self.serial_labels, self.calibration, self.status, self.camera):
            for value in group.model_dump().values():
                if isinstance(value, list):
                    found.update(value)
        return found


@lru_cache(maxsize=4)
def load_templates(directory: str | None = None) -> tuple[Template, ...]:
    folder = Path(directory) if directory else TEMPLATE_DIR
    files = sorted(folder.glob("*.json"))
    if not files:
        raise FileNotFoundError(f"no OCR templates in {folder}")
    found = (Template.model_validate(json.loads(f.read_text())) for f in files)
    # English first: between languages that fit a screen equally (shared words such as "GPS"),
    # the earlier template wins.
    return tuple(sorted(found, key=lambda t: t.language != "en"))
