"""``vidverify bench``: the same as ``make bench``."""

from __future__ import annotations

import argparse


def _run(args: argparse.Namespace) -> int:
    from bench.run import main

    return main(["--reps", str(args.reps)] + (["--quick"] if args.quick else []))


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="measure the pipeline against a decode floor and a naive OCR script")
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--quick", action="store_true", help="skip the 10-minute recordings")
    p.set_defaults(func=_run)
