"""The fixture renderer's UI texts: complete per language, sourced, drawable, and readable by
the pipeline's template for the same app and language."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import ImageFont

from fixtures.render.common import FONT_FILES, font
from fixtures.render.texts import TEXT_DIR, load_texts
from pipeline.templates import TEMPLATE_DIR, Template
from pipeline.textmatch import matches, norm

TEMPLATES = Path(TEMPLATE_DIR)
FILES = sorted(TEXT_DIR.glob("*.json"))
PAIRS = [tuple(p.name.removesuffix(".json").split(".", 1)) for p in FILES]
# Every language with a template in ocr_templates/ is checked: none is skipped.
CHECKED = [(a, lang) for a, lang in PAIRS if (TEMPLATES / f"{a}.{lang}.json").exists()]
SAMPLE = {"pct": 37, "n": 14}  # placeholder values, as the renderer fills them


def _raw(app: str, lang: str) -> dict:
    return json.loads((TEXT_DIR / f"{app}.{lang}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(("app", "lang"), PAIRS, ids=[f"{a}.{lang}" for a, lang in PAIRS])
def test_every_english_key_with_its_placeholders(app: str, lang: str) -> None:
    tx = load_texts(app, lang)
    assert set(tx.strings) == set(tx.english)
    for key, english in tx.english.items():
        want = sorted(re.findall(r"\{(\w+)\}", english))
        assert sorted(re.findall(r"\{(\w+)\}", tx.strings[key])) == want, key


@pytest.mark.parametrize(("app", "lang"), PAIRS, ids=[f"{a}.{lang}" for a, lang in PAIRS])
def test_every_string_names_its_source(app: str, lang: str) -> None:
    data = _raw(app, lang)
    assert data["app"] == app and data["language"] == lang
    for text in data["texts"].values():
        src = data["string_sources"].get(text)
        assert src is not None, text
        assert src in data["sources"], (text, src)


@pytest.mark.parametrize(("app", "lang"), PAIRS, ids=[f"{a}.{lang}" for a, lang in PAIRS])
def test_fonts_have_every_glyph(app: str, lang: str) -> None:
    """No tofu: each character is drawn by a real glyph of the face the language uses (a
    missing glyph draws the font's .notdef box, the same mask as an unassigned code point)."""
    tx = load_texts(app, lang)
    names = [f"cjk-{tx.script}", f"cjk-{tx.script}-bold"] if tx.script != "latin" else ["sans", "dejavu"]
    chars = {ch for text in tx.strings.values() for ch in text if not ch.isspace()}
    for name in names:
        f = font(name, 20)
        notdef = bytes(f.getmask("\U0010fffd"))
        missing = sorted(ch for ch in chars if bytes(f.getmask(ch)) == notdef)
        assert not missing, (name, missing)


def test_cjk_faces_are_the_regional_ones() -> None:
    for script, family in (("jp", "JP"), ("kr", "KR"), ("sc", "SC"), ("tc", "TC")):
        path, index = FONT_FILES[f"cjk-{script}"]
        assert ImageFont.truetype(path, 12, index=index).getname()[0].endswith(family)


def test_case_strings_are_translated_and_serials_left_alone() -> None:
    fr, zh = load_texts("dji_fly", "fr"), load_texts("dji_go4", "zh-CN")
    assert fr.tr("Ready to Go (GPS)") == fr.t("pill_ready_gps") != "Ready to Go (GPS)"
    assert fr.tr("4 satellites") == fr.t("value_satellites", n=4)
    assert fr.tr("1581FMG9PPM1EK73SNK5") == "1581FMG9PPM1EK73SNK5"
    assert zh.tr("Abnormal") == "异常"
    assert load_texts("dji_fly").tr("Compass Error") == "Compass Error"


def test_unknown_language_is_a_clear_error() -> None:
    with pytest.raises(FileNotFoundError, match="dji_fly in 'xx'"):
        load_texts("dji_fly", "xx")


@pytest.mark.parametrize(("app", "lang"), CHECKED, ids=[f"{a}.{lang}" for a, lang in CHECKED])
def test_rendered_strings_are_template_phrases(app: str, lang: str) -> None:
    """Each string the pipeline reads (the English file's ``read_by_pipeline`` keys) is one of
    the template's phrases, or holds one as the pipeline's matcher finds it (a progress line
    with its percentage, a pill with its positioning suffix). The only exceptions are the
    file's ``template_disagreements``: sourced strings the template lacks."""
    template = Template.model_validate(json.loads((TEMPLATES / f"{app}.{lang}.json").read_text()))
    phrases = template.phrases()
    exact = {norm(p) for p in phrases}
    tx = load_texts(app, lang)
    refused = []
    for key in _raw(app, "en")["read_by_pipeline"]:
        text = tx.t(key, **{k: v for k, v in SAMPLE.items() if "{" + k + "}" in tx.strings[key]})
        if norm(text) not in exact and not any(matches(p, text) for p in phrases):
            refused.append(key)
    disagreements = _raw(app, lang).get("template_disagreements", {})
    assert set(refused) <= set(disagreements), refused
    for key in disagreements:
        assert _raw(app, lang)["string_sources"][tx.strings[key]] != "none", key


def test_english_and_the_ten_languages_are_there() -> None:
    want = {"en", "fr", "de", "es", "it", "ja", "ko", "zh-CN", "zh-TW", "cs"}
    for app in ("dji_fly", "dji_go4"):
        assert want <= {lang for a, lang in PAIRS if a == app}
    assert CHECKED, "no template to check the texts against"


@pytest.mark.parametrize(
    ("lang", "model"), [("fr", "fra"), ("de", "deu"), ("ja", "jpn"), ("zh-CN", "chi_sim"), ("cs", "ces")]
)
def test_about_page_reads_back_in_its_language(lang: str, model: str) -> None:
    """The drawn About page is text Tesseract reads with that language's model: the serial
    labels and the tab title, in the language's script. (Serials are read with the Latin model
    by the pipeline, not checked here.)"""
    from fixtures.generate import load_cases
    from fixtures.render.fly import FlyUI
    from pipeline.ocr import TesserocrEngine

    case = {**next(c for c in load_cases() if c["id"] == "ok_fly_1080p30"), "language": lang}
    ui = FlyUI(1920, 1040, case)
    gray = np.asarray(ui.about().convert("L"))
    lines = [ln.text for ln in TesserocrEngine(model).read_lines(gray)]
    if ui.texts.script != "latin":  # Tesseract spaces CJK glyphs apart ("デバ イス 名")
        lines = [ln.replace(" ", "") for ln in lines]
    for key in ("about_rc_sn", "about_aircraft_sn", "tab_about"):
        label = ui.t(key)
        assert any(matches(label, ln) for ln in lines), (label, lines)
