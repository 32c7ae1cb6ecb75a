"""Entry point: parses arguments, runs a command, turns errors into plain messages and exits."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from companion import paths
from companion.errors import BadInputError, CompanionError, ExitStatus, storage_error

GROUPS = (
    "session",
    "screen",
    "exercises",
    "plan",
    "recognize",
    "models",
    "voices",
    "voice",
    "devices",
    "daemon",
    "routine",
    "report",
    "doctor",
    "helpcmd",
)
"""Command modules under ``companion.cli``; each defines ``register(subparsers, common)``."""
NO_DATA = frozenset({"help", "exercises", "devices", "models", "voices"})
"""Commands that never write in the data folder: they run even when it cannot be used (the
help, with the stroke warning signs, must always work)."""
PRIVATE_UMASK = 0o077
"""Every file and folder the companion makes is its owner's only, whatever the caller's umask."""


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
        importlib.import_module(f"companion.cli.{name}").register(subs, common)
    return parser


START_HINT = (
    "To begin, run 'companion screen' and open the page it names in a browser, or "
    "'companion session' to exercise by voice and keyboard ('companion --help' lists the rest)."
)
"""What ``companion`` alone says where no browser window can be shown."""


def not_text(argv: Sequence[str]) -> str | None:
    """The first argument that is not valid text (bytes the terminal's encoding cannot read)."""
    for arg in argv:
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            return arg
    return None


def shown(text: str) -> str:
    """``text`` printable: bytes that are not UTF-8 as ``\\xff``."""
    return os.fsencode(text).decode("utf-8", "backslashreplace")


def check_data_folder(args: argparse.Namespace) -> None:
    """Refuse a data folder that cannot be one; tighten an existing install's permissions."""
    if getattr(args, "command", None) in NO_DATA:
        return
    where = paths.resolve(args.data_dir)
    for folder in where.folders:
        if not_text([str(folder)]) is not None:
            raise BadInputError(
                f"The folder name '{shown(str(folder))}' is not valid text.",
                hint="Nothing was changed. Give a folder whose name is plain text (--data-dir).",
            )
    if args.command != "doctor":  # the doctor lists what is wrong with the folder itself
        where.check()
    where.make_private()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    old_umask = os.umask(PRIVATE_UMASK)
    try:
        return _main(sys.argv[1:] if argv is None else list(argv))
    finally:
        os.umask(old_umask)


def _main(argv: list[str]) -> int:
    parser = build_parser()
    bad = not_text(argv)
    if bad is not None:
        print(
            f"companion: '{shown(bad)}' is not valid text (it has bytes that are not UTF-8).\n"
            "  Nothing was changed. Retype it, or check the terminal's language setting.",
            file=sys.stderr,
        )
        return int(ExitStatus.BAD_INPUT)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if args.command is None and not getattr(args, "func", None):
        from companion.screen.server import has_display  # no web stack: only the check

        if not has_display():
            print(START_HINT)
            return 0
        args = parser.parse_args([*argv, "screen"])  # no command: the screen, where it shows
    if not getattr(args, "func", None):
        parser.print_help()
        return ExitStatus.USAGE
    try:
        check_data_folder(args)
        return int(args.func(args) or 0)
    except CompanionError as exc:
        return _fail(exc, args.debug)
    except KeyboardInterrupt:
        print("companion: interrupted", file=sys.stderr)
        return int(ExitStatus.INTERRUPTED)
    except BrokenPipeError:
        # The reader went away (``companion history | head``): stop quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except OSError as exc:  # a write the command did not expect to fail: full, read-only
        return _fail(storage_error(exc), args.debug)


def _fail(exc: CompanionError, debug: bool) -> int:
    """Print the plain message (the details too with ``--debug``); returns the exit status."""
    if debug:
        logging.exception("details")
    print(f"companion: {exc}", file=sys.stderr)
    return int(exc.exit_status)


if __name__ == "__main__":
    sys.exit(main())
