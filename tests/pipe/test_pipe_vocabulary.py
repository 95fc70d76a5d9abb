"""No app word or app rule in the pipeline's code: every phrase of every template, and each
app's name, is looked for in the string literals of ``pipeline/**/*.py`` (docstrings aside).

A literal may not *be* a template phrase or fragment (as ``"calib"`` and ``"gps"`` once were,
matched in code), may not contain a phrase of two words or more, and may not name an app. A
single word inside report prose ("no About page", "weak GPS: ...") is the pipeline's own
language, not a matching rule, and is allowed."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from pipeline.templates import TEMPLATE_DIR

PIPELINE = Path(__file__).resolve().parents[2] / "pipeline"


def _phrases() -> tuple[set[str], set[str]]:
    phrases: set[str] = set()
    apps: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, str):
            phrases.add(value)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for key, item in value.items():
                if key not in ("description", "language"):
                    walk(item)

    for path in TEMPLATE_DIR.glob("*.json"):
        data = json.loads(path.read_text())
        apps.add(data["app"])
        walk(data)
    return phrases, apps


def _literals(source: str) -> list[tuple[int, str]]:
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def app_words_in(source: str) -> list[str]:
    phrases, apps = _phrases()
    hits = []
    for lineno, text in _literals(source):
        for phrase in phrases:
            several = len(phrase.split()) >= 2
            if text == phrase or (several and phrase in text) or (phrase in apps and phrase in text):
                hits.append(f"line {lineno}: {text!r} holds {phrase!r}")
    return hits


def test_the_templates_hold_the_rules_that_once_were_code() -> None:
    """The check finds what it is for: the rules this refactor moved out of the code."""
    old = 'if "calib" in t.lower(): pass\nneeds_end = app == "dji_go4"\nx = "ATTI" in bar\n'
    hits = app_words_in(old)
    assert any("'calib'" in h for h in hits) and any("'dji_go4'" in h for h in hits)
    assert any("'ATTI'" in h for h in hits)
    assert app_words_in('msg = f"the {title} list was not seen"\n') == []


def test_no_app_word_in_the_pipeline() -> None:
    hits = [
        f"{path.relative_to(PIPELINE.parent)} {hit}"
        for path in sorted(PIPELINE.rglob("*.py"))
        for hit in app_words_in(path.read_text())
    ]
    assert hits == []
