"""Screen templates: every app text the pipeline knows comes from ``ocr_templates/*.json``.

One file per app and UI language; adding a language is adding a file. The code matches OCR
output against these phrase lists and never spells an app string itself.
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


class CalibrationWords(BaseModel):
    progress: list[str]
    done: list[str]
    failed: list[str] = Field(default_factory=list)


class StatusWords(BaseModel):
    end_rows: list[str]
    ready: list[str]
    errors: list[str]
    warning_colours: bool = True


class CameraWords(BaseModel):
    bar: list[str]
    gps_weak: list[str]
    link_weak: list[str] = Field(default_factory=list)
    min_satellites: int = 8


class Template(BaseModel):
    app: str
    language: str
    description: str = ""
    app_markers: list[str]
    screens: dict[str, ScreenSignature]
    serial_labels: SerialLabels
    calibration: CalibrationWords
    status: StatusWords
    camera: CameraWords


@lru_cache(maxsize=4)
def load_templates(directory: str | None = None) -> tuple[Template, ...]:
    folder = Path(directory) if directory else TEMPLATE_DIR
    files = sorted(folder.glob("*.json"))
    if not files:
        raise FileNotFoundError(f"no OCR templates in {folder}")
    return tuple(Template.model_validate(json.loads(f.read_text())) for f in files)
