"""Entry point: parses arguments, runs a command, turns errors into plain messages and exits."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from companion.errors import CompanionError, ExitStatus

GROUPS = (
    "session",
    "exercises",
    "plan",
    "recognize",
    "models",
    "voice",
    "devices",
    "daemon",
    "routine",
    "report",
    "doctor",
    "helpcmd",
)
"""Command modules under ``companion.cli``; each defines ``register(subparsers, common)``."""


def common_parser(suppress: bool = False) -> argparse.ArgumentParser:
    """Options every command accepts (``suppress``: sub-commands keep the top level's value)."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument(
        "--data-dir",
        metavar="DIR",
        default=argparse.SUPPRESS if suppress else None,
        help="where settings, history and logs live "
        "(default: $COMPANION_DATA_DIR or the per-user folders)",
    )
    p.add_argument(
        "--debug",
        action="store_true",
        help="show full error details",
        default=argparse.SUPPRESS if suppress else False,
    )
    return p


def build_parser() -> argparse.ArgumentParser:
    """The whole parser, with every command group that is installed."""
    common = common_parser(suppress=True)
    parser = argparse.ArgumentParser(
        prog="companion",
        parents=[common_parser()],
        description="An offline, voice-guided hand-exercise companion for stroke recovery.",
    )
    subs = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in GROUPS:
        try:
            module = importlib.import_module(f"companion.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"companion.cli.{name}":
                continue
            raise
        module.register(subs, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return ExitStatus.USAGE
    try:
        return int(args.func(args) or 0)
    except CompanionError as exc:
        if args.debug:
            logging.exception("details")
        print(f"companion: {exc}", file=sys.stderr)
        return int(exc.exit_status)
    except KeyboardInterrupt:
        print("companion: interrupted", file=sys.stderr)
        return int(ExitStatus.INTERRUPTED)
    except BrokenPipeError:
        # The reader went away (``companion history | head``): stop quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
