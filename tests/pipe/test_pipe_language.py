"""The UI language: phrases matched across scripts, the per-video language state, and pages in
Chinese and in an unknown script read by the real Tesseract."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from fixtures.render.encode import encoder
from pipeline.analyse import UNKNOWN_LANGUAGE, analyse_file
from pipeline.models import Claim, Finding, Reason, Verdict
from pipeline.ocr import TesserocrEngine, model_available
from pipeline.reading import ScreenKind, ScreenReader
from pipeline.reading.about import AboutFacts
from pipeline.reading.language import PROBE_MAX, UiLanguage, is_latin
from pipeline.templates import SerialLabels, Template, load_templates
from pipeline.textmatch import first_claim, matches, norm
from pipeline.verdict import unread_pages_doubt
from tests.support.screens import template

CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
SC_FACE = 2  # the .ttc's faces: JP, KR, SC, TC, HK
LATIN_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

# Test data, not app strings: a made-up Chinese About page for a made-up template.
ZH_ABOUT = [
    "关于",
    "飞行器名称",
    "飞行器序列号",
    "遥控器序列号",
    "固件版本",
    "应用程序版本",
    "遥控器固件版本",
]
RU_ABOUT = ["О приложении", "Имя устройства", "Серийный номер дрона", "Серийный номер пульта"]


def _zh_template() -> Template:
    base = template("dji_go4")
    screens = dict(base.screens)
    screens["about"] = screens["about"].model_copy(update={"title": ZH_ABOUT[:1], "labels": ZH_ABOUT[1:]})
    labels = SerialLabels(rc=["遥控器序列号"], aircraft=["飞行器序列号"], device_name=["飞行器名称"])
    return base.model_copy(
        update={
            "language": "zh-CN",
            "tesseract": "chi_sim",
            "screens": screens,
            "app_markers": ZH_ABOUT[1:],
            "serial_labels": labels,
        }
    )


def _page(rows: list[str], font: ImageFont.FreeTypeFont, values: dict[str, str] | None = None) -> np.ndarray:
    image = Image.new("RGB", (1280, 720), (28, 28, 30))
    draw = ImageDraw.Draw(image)
    latin = ImageFont.truetype(str(LATIN_FONT), 30)
    for k, text in enumerate(rows):
        draw.text((90, 90 + 80 * k), text, font=font, fill=(235, 235, 235))
        if values and text in values:
            draw.text((700, 92 + 80 * k), values[text], font=latin, fill=(200, 200, 200))
    return np.asarray(image)[:, :, ::-1].copy()  # BGR, as decoded frames are


def test_accents_and_full_width_forms_do_not_stop_a_match() -> None:
    assert norm("Numéro de série") == "numero de serie"
    assert matches("Numéro de série", "Numero de serie 1581F4QW")
    assert matches("Prêt à voler (GPS)", "Pret a voler （GPS）")
    assert norm("Čeština") == "cestina"


def test_cjk_phrases_match_character_by_character() -> None:
    assert matches("遥控器序列号", "遥 控 器 序 列 号 1581F")  # spaces put in by Tesseract
    assert matches("遥控器序列号", "遥控器序列弓")  # one of six characters misread
    assert not matches("遥控器序列号", "遥控器 1581F")
    assert matches("指南针", "指南针异常") and not matches("指南针", "指南计")  # three: exact
    assert not matches("指南针异常", "罗盘")


def test_the_language_settles_on_the_first_recognised_screen() -> None:
    en, zh = template("dji_go4"), _zh_template()
    state = UiLanguage((en, zh))
    assert is_latin(en) and not is_latin(zh)
    assert state.candidates() == (en,)
    assert state.settle(zh) is True and state.model == "chi_sim"
    assert state.candidates() == (zh,) and state.settle(en) is False  # settled once


def test_probes_are_few_and_spaced() -> None:
    state = UiLanguage((template("dji_go4"), _zh_template()))
    assert not state.wants_probe(2, 0.0)  # too little text for a page
    times = [0.0, 0.5, 2.0, 4.0, 6.0, 8.0]
    done = 0
    for t in times:
        if state.wants_probe(8, t):
            state.probed(t, state.probe_models())
            done += 1
    assert done == PROBE_MAX and state.probes == PROBE_MAX
    assert state.unrecognised and state.tried == ["chi_sim"]


def test_a_chinese_page_is_recognised_after_one_probe_and_read_in_chinese() -> None:
    font = ImageFont.truetype(str(CJK_FONT), 34, index=SC_FACE)
    templates = (*load_templates(), _zh_template())
    with ThreadPoolExecutor(2) as pool:
        reader = ScreenReader(templates, TesserocrEngine(), pool)
        obs = reader.read(_page(ZH_ABOUT, font), 0.0)
        assert obs.screen is ScreenKind.ABOUT and obs.template is not None
        assert obs.template.language == "zh-CN"
        assert reader.language.settled == "zh-CN" and reader.language.probes == 1
        serials = {"飞行器序列号": "1581F4QWB2240012", "遥控器序列号": "5YSZK7E0023TRE"}
        again = reader.read(_page(ZH_ABOUT, font, serials), 1.0)  # read with chi_sim now, no probe
        assert again.screen is ScreenKind.ABOUT and reader.language.probes == 1
        assert isinstance(again.facts, AboutFacts)
        read = {(s.role, s.text) for s in again.facts.serials}
        # The labels in Chinese, the values with the Latin model.
        assert ("aircraft", "1581F4QWB2240012") in read and ("rc", "5YSZK7E0023TRE") in read


def test_an_english_page_needs_no_probe() -> None:
    font = ImageFont.truetype(str(LATIN_FONT), 30)
    rows = ["About", "Aircraft Name", "Aircraft Serial Number", "Remote Controller Serial Number"]
    with ThreadPoolExecutor(2) as pool:
        reader = ScreenReader(load_templates(), TesserocrEngine(), pool)
        assert reader.read(_page(rows, font), 0.0).screen is ScreenKind.ABOUT
        assert reader.language.settled == "en" and reader.language.probes == 0


def test_a_page_in_an_unknown_script_leaves_the_language_unrecognised() -> None:
    font = ImageFont.truetype(str(LATIN_FONT), 30)
    templates = (*load_templates(), _zh_template())
    with ThreadPoolExecutor(2) as pool:
        reader = ScreenReader(templates, TesserocrEngine(), pool)
        for t in (0.0, 3.0):
            assert reader.read(_page(RU_ABOUT, font), t).screen is not ScreenKind.ABOUT
    assert reader.language.settled is None and reader.language.unrecognised


def test_a_model_that_is_not_installed_is_never_probed(tmp_path: Path) -> None:
    data = json.loads(_zh_template().model_dump_json()) | {"language": "xx", "tesseract": "nosuchmodel"}
    (tmp_path / "dji_go4.xx.json").write_text(json.dumps(data))
    loaded = load_templates(str(tmp_path))
    assert not model_available(loaded[0].tesseract) and model_available("chi_sim")
    assert UiLanguage(loaded).probe_models() == []


def test_a_recording_in_an_unknown_language_is_needs_review_with_the_finding(tmp_path: Path) -> None:
    """Pages that hold text in a script no template knows, the whole recording long: every step
    would be "not found", none of it true. The verdict says what happened instead."""
    font = ImageFont.truetype(str(LATIN_FONT), 30)
    status = ["Состояние дрона", "Режим полёта", "Компас", "Аккумулятор", "Подвес", "Карта памяти"]
    pages = [_page(RU_ABOUT, font), _page(status, font)]
    path = tmp_path / "ru.mp4"
    proc = encoder(path, 1280, 720, 10, crf=20, preset="veryfast")
    assert proc.stdin is not None
    for k in range(80):  # 8 s: About, then the status list
        proc.stdin.write(np.ascontiguousarray(pages[k // 40][:, :, ::-1]).tobytes())
    proc.stdin.close()
    assert proc.wait() == 0
    report = analyse_file(path, Claim(rc_sn="5YSZK7E0023TRE"))
    assert report.verdict is Verdict.NEEDS_REVIEW and report.reasons == [] and report.findings == []
    assert any(u.startswith(UNKNOWN_LANGUAGE) for u in report.uncertain), report.uncertain
    assert report.language == ""


def test_a_cjk_warning_must_be_read_whole() -> None:
    # "No GPS" is "GPS" and one character; "compass abnormal" is "compass normal" with one
    # character changed: one misread character must not turn an honest row into a warning.
    assert first_claim(["无GPS"], "GPS") is None and first_claim(["无GPS"], "无 GPS") == "无GPS"
    assert first_claim(["指南针异常"], "指南针正常") is None
    assert first_claim(["指南针异常"], "指 南 针 异 常") == "指南针异常"
    assert first_claim(["Compass Error"], "Compass Eror") == "Compass Error"  # Latin: as before
    assert not matches("ジンバルキャリブレーション失敗", "ジン バル キャ リブ レー ショ ン")


def test_not_found_is_a_doubt_where_pages_could_not_be_read() -> None:
    finding = Finding(reason=Reason.RC_SERIAL_NOT_FOUND, message="no About page")
    error = Finding(reason=Reason.FLIGHT_STATUS_ERROR, message="IMU Error")
    assert unread_pages_doubt([finding, error], 0) == ([finding, error], [])
    kept, doubts = unread_pages_doubt([finding, error], 3)
    assert kept == [error] and len(doubts) == 1 and doubts[0].startswith("no About page")
