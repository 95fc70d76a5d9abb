"""A camera view's top bar tells a Chinese, Japanese or Korean UI before any page does: its
ready words, read with every CJK model, closer in one language than in any other, settle the
language with a few small reads instead of page probes. Real templates, real Tesseract."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from pipeline.ocr import TesserocrEngine
from pipeline.reading import ScreenKind, ScreenReader
from pipeline.reading.language import UiLanguage
from pipeline.templates import load_templates

CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
SC_FACE = 2  # the .ttc's faces: JP, KR, SC, TC, HK
LATIN_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def _said(*reads: list[str]) -> str | None:
    found = UiLanguage(load_templates()).language_of_bar(list(reads))
    return None if found is None else found.language


def test_ready_words_tell_the_language() -> None:
    assert _said(["離陸 準備 完了 (GPS)"]) == "ja"
    assert _said(["이륙 준비 완료 (GPS)"]) == "ko"
    assert _said(["10:41", "起 飞 准备 完毕 (GPS)"]) == "zh-CN"


def test_a_sister_script_read_in_its_own_forms_loses_to_the_exact_one() -> None:
    # A simplified pill as the two Chinese models read it (seen on the GO 4 bench recording):
    # the traditional model writes its own forms, one character off its language's words.
    assert _said(["起 飞 准备 完毕 (GPS)"], ["起 下 準備 完 畢 (GPs)"]) == "zh-CN"
    # Each model reading the pill as its own language, exactly: no telling which it is.
    assert _said(["起飞准备完毕"], ["起飛準備完畢"]) is None


def test_words_two_languages_write_alike_or_warnings_settle_nothing() -> None:
    assert _said(["飛行中 (GPS)"]) is None  # Japanese and traditional Chinese alike
    assert _said(["退出 GPS 模式"]) is None  # a warning: simplified and traditional alike
    assert _said(["无 GPS"]) is None and _said(["GPS"]) is None
    assert _said(["Ready to Go (GPS)"]) is None and _said([]) is None


def _camera_view(pill: str) -> np.ndarray:
    """A camera view at 720p: a picture, the app's bar with a green status pill, a satellite
    count, and the telemetry line at the bottom (Latin words no page template knows)."""
    rng = np.random.default_rng(7)
    picture = rng.integers(60, 140, (72, 128, 3), dtype=np.uint8).repeat(10, 0).repeat(10, 1)
    image = Image.fromarray(picture)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 1280, 26), fill=(0, 0, 0))
    draw.text((14, 2), "10:41", font=ImageFont.truetype(str(LATIN_FONT), 18), fill=(255, 255, 255))
    draw.rectangle((0, 26, 1280, 80), fill=(20, 20, 20))
    draw.rounded_rectangle((40, 34, 330, 72), 8, fill=(30, 140, 60))
    draw.text((52, 38), pill, font=ImageFont.truetype(str(CJK_FONT), 24, index=SC_FACE), fill=(255, 255, 255))
    latin = ImageFont.truetype(str(LATIN_FONT), 22)
    draw.text((900, 42), "18   HD   94%", font=latin, fill=(255, 255, 255))
    for k, row in enumerate(["H 0.0m  D 0m  HS 0.0m/s", "12MP  ISO 100  1/800  EV 0", "PHOTO  VIDEO  MORE"]):
        draw.text((200, 560 + 40 * k), row, font=latin, fill=(255, 255, 255))
    return np.asarray(image)[:, :, ::-1].copy()


def test_a_camera_view_settles_its_language_by_its_bar_without_a_page_probe() -> None:
    with ThreadPoolExecutor(2) as pool:
        reader = ScreenReader(load_templates(), TesserocrEngine(), pool)
        obs = reader.read(_camera_view("起飞准备完毕 (GPS)"), 0.0)
    assert reader.language.settled == "zh-CN" and reader.language.model == "chi_sim"
    # One probe, the bar's; the page probe's scouts (the Korean model among them) never ran.
    assert reader.language.probes == 1 and reader.language.tried == ["chi_sim"]
    assert not obs.screen.is_page and obs.screen is not ScreenKind.STATUS_LIST


def test_a_bar_without_ready_words_leaves_the_page_probe_to_decide() -> None:
    with ThreadPoolExecutor(2) as pool:
        reader = ScreenReader(load_templates(), TesserocrEngine(), pool)
        reader.read(_camera_view("指南针异常"), 0.0)  # a warning pill: it tells no language
    assert reader.language.settled is None
    assert reader.language.probes == 1 and "kor" in reader.language.tried  # the page probe ran
