"""The ``vidverify`` command: one argparse tree, each subcommand registered by its own module.

Each package that offers commands exposes ``register(subparsers)``; the registered handler is
stored as ``func`` and returns the process exit status. Keeping registration in the owning
package means a new command never touches this file beyond one import line.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

# Modules that contribute subcommands, with the commands each registers; a missing optional
# one is skipped so that a partial install still offers what it can. Knowing the names up front
# lets ``vidverify check`` import only what a check needs: the database, queue and web layers
# cost a third of a second of start-up that a worker running many checks would pay each time.
COMMAND_MODULES = {
    "vidverify.doctor": ("doctor",),
    "vidverify.check_command": ("check",),
    "vidverify.db_command": ("db",),
    "eligibility.cli": ("products", "eligibility", "purchase"),
    "workers.cli": ("submit", "worker", "status", "reap", "notify", "health", "requeue"),
    "web.cli": ("serve", "tokens", "users"),
    "bench.cli": ("bench",),
}

EXIT_USAGE = 2


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command tree, or with ``only`` just the module that owns that command."""
    parser = argparse.ArgumentParser(
        prog="vidverify",
        description="Verify drone screen recordings for late care-plan purchase.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    owners = [m for m, names in COMMAND_MODULES.items() if only in names]
    for name in owners or COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name):
                continue
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    return _run(argv)[0]


def _run(argv: Sequence[str] | None) -> tuple[int, bool]:
    """The command's exit status, and whether it asked to leave without teardown."""
    args_in = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(args_in[0] if args_in else None)
    args = parser.parse_args(args_in)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE, False
    return int(args.func(args) or 0), bool(getattr(args, "quick_exit", False))


def console() -> None:
    """The installed ``vidverify`` command. A command that sets ``quick_exit`` (a check: one
    report printed, its files written and closed, its database writes committed) leaves without
    the interpreter's teardown, which frees Tesseract's models, OpenCV and FFmpeg one object at
    a time: some 0.15 s of a four-second check, for memory the OS takes back at once anyway.
    ``main`` itself always returns, for callers in the same process."""
    code, quick = _run(None)
    if quick:
        sys.stdout.flush()
        sys.stderr.flush()
        logging.shutdown()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    console()
