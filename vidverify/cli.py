"""The ``vidverify`` command: one argparse tree, each subcommand registered by its own module.

Each package that offers commands exposes ``register(subparsers)``; the registered handler is
stored as ``func`` and returns the process exit status. Keeping registration in the owning
package means a new command never touches this file beyond one import line.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Modules that contribute subcommands; a missing optional one is skipped so that a partial
# install still offers what it can.
COMMAND_MODULES = (
    "vidverify.doctor",
    "vidverify.check_command",
    "eligibility.cli",
    "workers.cli",
    "web.cli",
    "bench.cli",
)

EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vidverify",
        description="Verify drone screen recordings for late care-plan purchase.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name):
                continue
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
