"""``companion session``: runs today's guided session (voice, keyboard, switch or a script)."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import sys
from pathlib import Path

from companion import clock, paths, prompts, routine, runner
from companion.cli import dates, fresh_folder, screen
from companion.errors import BadInputError
from companion.inputs.script import parse_lines


def register(
    subs: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the command."""
    p = subs.add_parser(
        "session",
        parents=[common],
        help="run today's exercise session",
        description="Talks you through today's hand exercises.",
    )
    p.add_argument(
        "--script",
        metavar="FILE",
        help="what the user says, one line each (- for standard input); 'wait SECONDS' lines pause",
    )
    p.add_argument("--no-voice", action="store_true", help="captions only, no speech")
    p.add_argument("--no-listen", action="store_true", help="do not use the microphone")
    p.add_argument(
        "--switch",
        action="store_true",
        help="single switch (the space bar): the answers are offered one at a time, press at "
        "the one you want; hold it to stop, two quick presses: it hurts",
    )
    p.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        metavar="F",
        help="run every wait, beat and rest F times faster (for demos and tests)",
    )
    p.add_argument(
        "--date", metavar="YYYY-MM-DD", help="run or back-fill the session as if on this day"
    )
    p.add_argument(
        "--engine",
        choices=("auto", "pocketsphinx", "vosk"),
        default=None,
        help="speech recogniser (default: the routine's choice)",
    )
    p.add_argument("--model", metavar="DIR", help="speech model folder")
    p.add_argument("--device", metavar="NAME|INDEX", help="microphone to use")
    p.add_argument("--screen", action="store_true", help="also show the session on the web page")
    screen.add_options(p)
    p.set_defaults(func=run)


def parse_day(text: str | None, today: dt.date) -> dt.date | None:
    """``--date`` as a day from 2000-01-01 to ``today``; BadInputError otherwise."""
    return None if text is None else dates.parse_day(text, today=today)


def read_script(name: str) -> list[str | float]:
    """The script's lines from a file or standard input."""
    if name == "-":
        return parse_lines(sys.stdin.read().splitlines())
    path = Path(name)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise BadInputError(f"The script file {path} does not exist.") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInputError(f"Cannot read the script file {path}: {exc}") from exc
    return parse_lines(text.splitlines())


def run(args: argparse.Namespace) -> int:
    """Load the routine and today's plan, then run the session (a new data folder is removed
    again if it is refused before anything was recorded)."""
    if not 0.01 <= args.time_scale <= 1000:
        raise BadInputError("--time-scale must be between 0.01 and 1000")
    where = paths.resolve(args.data_dir)
    with fresh_folder.undone_if_refused(where):
        return _run(args, where.ensure())


def _run(args: argparse.Namespace, where: paths.Paths) -> int:
    chosen = routine.load(where.routine_file)
    script = read_script(args.script) if args.script else None
    options = runner.Options(
        day=parse_day(args.date, clock.local_now().date()),
        script=script,
        voice=not args.no_voice,
        listen=not args.no_listen and script is None,
        switch=args.switch,
        time_scale=args.time_scale,
        engine=args.engine or chosen.listening.engine,
        model=args.model or chosen.listening.model or None,
        device=args.device or chosen.listening.device or None,
    )
    words = prompts.load(chosen.language)
    with contextlib.ExitStack() as stack:
        if args.screen:
            link, server = screen.start_for_session(where, args.port, not args.no_browser)
            stack.callback(server.stop)
            options = dataclasses.replace(options, screen=link)
        else:  # an open page shows it, or the first one opened while it runs
            options = dataclasses.replace(options, screen=screen.attach_running(where, stack))
        how = runner.run(where, chosen, words, options, stack)
    print(f"[session ended: {how}]", file=sys.stderr)
    return 0
