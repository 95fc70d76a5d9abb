"""Screen classification and fact extraction from lists of OCR lines, no video."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from pipeline.analyse import _choose_template
from pipeline.models import Report, Verdict
from pipeline.reading import ScreenKind
from pipeline.reading.classify import classify
from pipeline.reading.facts import bar_facts, calibration_facts, camera_facts, parse_clock, status_facts
from pipeline.templates import load_templates
from tests.support.screens import line, template

TEMPLATES = load_templates()
GO4_ABOUT = [
    "About",
    "Aircraft Name",
    "Flight Controller Firmware",
    "OcuSync Firmware",
    "Aircraft Serial Number",
]
GO4_SETTINGS = ["Gimbal Settings", "Gimbal Mode", "Gimbal Calibration", "Advanced Settings"]


def test_an_about_page_is_known_with_its_app() -> None:
    found = classify(TEMPLATES, GO4_ABOUT, [])
    assert found.kind is ScreenKind.ABOUT and found.template.app == "dji_go4"
    assert found.app_scores["dji_go4"] >= 2


def test_a_calibration_dialog_over_its_settings_page_decides_the_screen() -> None:
    assert classify(TEMPLATES, GO4_SETTINGS, []).kind is ScreenKind.SETTINGS  # the menu row alone
    dialog = classify(TEMPLATES, [*GO4_SETTINGS, "Gimbal calibrating 40%"], [])
    assert dialog.kind is ScreenKind.CALIBRATION
    assert classify(TEMPLATES, [*GO4_SETTINGS, "Gimbal calibrating"], []).kind is ScreenKind.SETTINGS


def test_nothing_known_is_unknown_with_the_template_of_most_markers() -> None:
    found = classify(TEMPLATES, ["Lorem ipsum"], ["P-GPS"])
    assert found.kind is ScreenKind.UNKNOWN and found.template.app == "dji_go4"


def test_a_third_app_is_known_from_its_template_alone() -> None:
    other = template("dji_fly").model_copy(
        update={"app": "skyapp", "app_markers": ["SkyApp Console"], "priority": 0}
    )
    templates = (*TEMPLATES, other)
    found = classify(templates, ["Lorem ipsum"], ["SkyApp Console"])
    assert found.template.app == "skyapp" and found.app_scores["skyapp"] == 1
    assert _choose_template(templates, found.app_scores).app == "skyapp"  # type: ignore[arg-type]
    assert Report(verdict=Verdict.APPROVED, app="skyapp").app == "skyapp"


def test_a_third_apps_file_loads_beside_the_others(tmp_path: Path) -> None:
    for tpl in TEMPLATES:
        (tmp_path / f"{tpl.app}.en.json").write_text(tpl.model_dump_json())
    data = json.loads(template("dji_go4").model_dump_json()) | {"app": "skyapp", "app_markers": ["SkyApp"]}
    (tmp_path / "skyapp.en.json").write_text(json.dumps(data))
    loaded = load_templates(str(tmp_path))
    assert {t.app for t in loaded} == {"dji_fly", "dji_go4", "skyapp"}
    assert classify(loaded, ["Lorem ipsum"], ["SkyApp"]).template.app == "skyapp"


def test_a_tie_between_apps_goes_to_the_higher_priority() -> None:
    fly = template("dji_fly")
    assert fly.priority > template("dji_go4").priority
    from collections import Counter

    assert _choose_template(TEMPLATES, Counter()).app == fly.app


def test_the_clock_is_parsed_once_for_every_reader() -> None:
    assert parse_clock("10:42 ") is not None and parse_clock("10:42").text == "10:42"  # type: ignore[union-attr]
    assert parse_clock("9.05 LTE").minutes == 9 * 60 + 5  # type: ignore[union-attr]
    assert parse_clock("45°") is None and parse_clock("25:99") is None


def test_calibration_facts_count_a_percentage_on_the_dialog_only() -> None:
    fly = template("dji_fly")
    assert calibration_facts(["Calibrating 40%"], fly).percent == 40
    assert calibration_facts(["Gimbal calibration 55%"], fly).percent == 55  # the dialog's name
    assert calibration_facts(["Battery 80%"], fly).percent is None
    done = calibration_facts(["Calibrating 100%"], fly)
    assert done.percent == 100 and done.done
    assert calibration_facts(["Calibration failed"], fly).failed


FRAME = np.zeros((1080, 1920, 3), np.uint8)


def test_bar_facts_read_the_status_and_the_satellites_beside_it() -> None:
    go4 = template("dji_go4")
    lines = [line("10:41", x=40, y=5, h=24), line("Ready to Go (GPS)", x=200, y=70), line("17", x=900, y=70)]
    bar = bar_facts(FRAME, lines, go4)
    assert bar.text == "Ready to Go (GPS)" and bar.ready and bar.satellites == 17
    assert bar.clock is not None and bar.clock.text == "10:41"
    assert bar.bottom is not None and bar.bottom > 100
    weak = bar_facts(FRAME, [line("P-ATTI", x=200, y=70)], go4)
    assert weak.gps_weak_words and not weak.ready
    error = bar_facts(FRAME, [line("Compass Error", x=200, y=70)], go4)
    assert [e for e, _ in error.errors] == ["Compass Error"]


def test_a_count_standing_alone_comes_before_one_glued_to_a_letter() -> None:
    """The GO 4 satellite icon read as text beside the true count: "a0 17" is 17, not 0 (which
    would disagree with the other read's 17 and leave neither trusted). A count read only
    glued to a letter stands, marked glued ("m4" is Fly's red 4), until the small-text read
    confirms it; a small-text count standing alone that differs ("PIi7a" against "17 alll")
    leaves no count: one read never decides against another."""
    go4 = template("dji_go4")
    status = line("Ready to Go (GPS)", x=200, y=70)
    assert bar_facts(FRAME, [status, line("a0 17 wl", x=900, y=70)], go4).satellites == 17
    glued = bar_facts(FRAME, [status, line("P-GPS PIi7a", x=900, y=70)], go4)
    assert glued.satellites == 7 and glued.satellites_glued
    small = [line("17 alll", x=960, y=70)]
    differs = bar_facts(FRAME, [status, line("P-GPS PIi7a", x=900, y=70)], go4, fallback_lines=small)
    assert differs.satellites is None
    same = bar_facts(FRAME, [status, line("P-GPS Pm17", x=900, y=70)], go4, fallback_lines=small)
    assert same.satellites == 17 and not same.satellites_glued


def test_two_reads_that_disagree_are_settled_only_by_a_third_standing_alone() -> None:
    """The status read "P17" and the right-side read "PIi7a" disagree (17 against 7): neither
    is trusted, unless the small-text read has a count standing on its own that agrees with one."""
    go4 = template("dji_go4")
    bar = [line("Ready to Go (GPS)", x=200, y=70), line("P-GPS P17", x=900, y=70)]
    right = [line("P-GPS PIi7a", x=900, y=70)]
    assert bar_facts(FRAME, bar, go4, right_lines=right).satellites is None
    agree = bar_facts(FRAME, bar, go4, right_lines=right, fallback_lines=[line("17 alll", x=960, y=70)])
    assert agree.satellites == 17
    other = bar_facts(FRAME, bar, go4, right_lines=right, fallback_lines=[line("12 alll", x=960, y=70)])
    assert other.satellites is None


def test_status_facts_find_errors_and_the_last_row() -> None:
    go4 = template("dji_go4")
    facts = status_facts(FRAME, [line("IMU", y=300), line("IMU Error", x=1200, y=300)], go4)
    assert [e for e, _ in facts.errors] == ["IMU Error"] and not facts.end_seen
    assert status_facts(FRAME, [line("Remaining SD Card Capacity", y=900)], go4).end_seen


def test_the_pitch_is_read_below_the_bar_only() -> None:
    assert camera_facts([line("-35°", y=600)], 1080).pitch == -35
    assert camera_facts([line("-35°", y=20)], 1080).pitch is None


def test_a_serial_label_read_without_its_space_is_still_the_label() -> None:
    from pipeline.reading.about import serial_role

    fly = template("dji_fly")
    assert serial_role("RCSN", fly) == "rc" and serial_role("RC SN", fly) == "rc"
    assert serial_role("RC Firmware", fly) is None
