"""The command table in ``vidverify.cli`` must name exactly what each module registers: a
command missing from it would still work from the full tree but lose its fast start."""

from __future__ import annotations

import argparse
import importlib

from vidverify.cli import COMMAND_MODULES, build_parser


def _choices(parser: argparse.ArgumentParser) -> list[str]:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return list(sub.choices)


def test_table_matches_registrations() -> None:
    for module, names in COMMAND_MODULES.items():
        parser = argparse.ArgumentParser()
        importlib.import_module(module).register(parser.add_subparsers())
        assert tuple(_choices(parser)) == names, module


def test_one_command_builds_only_its_module() -> None:
    assert _choices(build_parser("check")) == ["check"]
    assert _choices(build_parser("nonsense")) == [n for names in COMMAND_MODULES.values() for n in names]
