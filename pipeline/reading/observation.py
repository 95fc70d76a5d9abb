"""What one read frame showed: its time, screen kind, template and the typed facts of that screen."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pipeline.ocr import OcrLine
from pipeline.reading.about import AboutFacts, SerialRead
from pipeline.reading.classify import ScreenKind
from pipeline.reading.facts import BarFacts, CalibrationFacts, CameraFacts, ClockReading, StatusFacts
from pipeline.templates import Template

ScreenFacts = CalibrationFacts | StatusFacts | AboutFacts | CameraFacts


@dataclass(frozen=True)
class Observation:
    time_s: float
    screen: ScreenKind
    template: Template | None = None
    clock: ClockReading | None = None  # the phone's clock
    phone_battery: int | None = None  # the phone's battery percentage, beside its clock
    bar: BarFacts | None = None  # the app's top bar, when it was read
    facts: ScreenFacts | None = None  # what the screen itself says (see ``reading.facts``)
    app_scores: Mapping[str, int] = field(default_factory=dict)
    light: bool = False  # only the clock and the top bar were read (``ScreenReader.read_bar``)
    onset_s: float | None = None  # when the screen first looked like this (set by the timeline)
    # Read with no screen change since the read before it (a refresh, or the held last frame
    # of a screen): the same screen, whatever its words were read as (set by the timeline).
    continues: bool = False

    @property
    def calibration(self) -> CalibrationFacts:
        return self.facts if isinstance(self.facts, CalibrationFacts) else CalibrationFacts()

    @property
    def status(self) -> StatusFacts:
        return self.facts if isinstance(self.facts, StatusFacts) else StatusFacts()

    @property
    def serials(self) -> tuple[SerialRead, ...]:
        return self.facts.serials if isinstance(self.facts, AboutFacts) else ()

    @property
    def device_name(self) -> str | None:
        return self.facts.device_name if isinstance(self.facts, AboutFacts) else None

    @property
    def serial_roles(self) -> frozenset[str]:
        """Serial labels the About page showed, whether or not their values could be read."""
        return self.facts.roles if isinstance(self.facts, AboutFacts) else frozenset()

    @property
    def pitch(self) -> int | None:
        return self.facts.pitch if isinstance(self.facts, CameraFacts) else None

    @property
    def top(self) -> BarFacts:
        """The bar's facts, empty when the bar was not read."""
        return self.bar if self.bar is not None else BarFacts()

    @property
    def error_lines(self) -> tuple[tuple[str, OcrLine], ...]:
        """Warning and error phrases shown: in the status pill, then in the status list."""
        return self.top.errors + self.status.errors

    @property
    def start_s(self) -> float:
        """When this screen began: its onset where the timeline knows one, else its read."""
        return self.onset_s if self.onset_s is not None else self.time_s
