"""``companion daemon`` and ``companion reminders list|install|uninstall``."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

from companion import paths, routine
from companion.errors import BadInputError
from companion.inputs.script import parse_lines
from companion.reminders import lock, times
from companion.reminders import unit as unit_mod
from companion.reminders.options import Options
from companion.reminders.store import pending


def register(
    subs: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the commands."""
    d = subs.add_parser(
        "daemon", parents=[common], help="run the daily reminders (long-running; one at a time)"
    )
    d.add_argument(
        "--script",
        metavar="FILE",
        help="answers to the reminders, one per line ('wait SECONDS' pauses); "
        "'-' reads standard input",
    )
    d.add_argument("--no-voice", action="store_true", help="captions only, no speech")
    d.add_argument("--no-listen", action="store_true", help="do not use the microphone")
    d.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        metavar="F",
        help="snoozes, answer waits and script waits run F times faster",
    )
    d.add_argument(
        "--answer-seconds",
        type=float,
        default=120.0,
        metavar="S",
        help="wait this long for an answer before the gentle second reminder (default 120)",
    )
    d.add_argument(
        "--at",
        action="append",
        default=[],
        metavar="HH:MM[:SS]|+S",
        help="remind at this time instead of the routine's times, or S seconds after start-up "
        "(for tests and demos; repeatable)",
    )
    d.add_argument(
        "--no-session", action="store_true", help="on 'start', do not run the session (for tests)"
    )
    d.add_argument(
        "--session-script", metavar="FILE", help="hand this script to the session that 'start' runs"
    )
    d.set_defaults(func=run_daemon)

    r = subs.add_parser("reminders", parents=[common], help="show or install the reminders")
    rs = r.add_subparsers(dest="action", metavar="ACTION")
    ls = rs.add_parser("list", parents=[common], help="the next reminder times")
    ls.add_argument(
        "--count",
        type=int,
        default=5,
        metavar="N",
        help="how many upcoming reminders to show (default 5)",
    )
    ls.set_defaults(func=run_list)
    for name, helptext, func in (
        ("install", "write and enable a systemd user service for the daemon", run_install),
        ("uninstall", "stop, disable and remove that service", run_uninstall),
    ):
        p = rs.add_parser(name, parents=[common], help=helptext)
        p.add_argument(
            "--unit-dir",
            metavar="DIR",
            help="where the unit file goes (default ~/.config/systemd/user)",
        )
        p.set_defaults(func=func)

    def usage(args: argparse.Namespace) -> int:
        r.print_help()
        return 2

    r.set_defaults(func=usage)


def _status(message: str) -> None:
    now = dt.datetime.now().astimezone().isoformat(timespec="milliseconds")
    print(f"{now} companion daemon: {message}", flush=True)


def _read_script(name: str) -> tuple[str | float, ...]:
    try:
        if name == "-":
            return tuple(parse_lines(sys.stdin.read().splitlines()))
        return tuple(parse_lines(Path(name).read_text(encoding="utf-8").splitlines()))
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInputError(f"Cannot read the script {name}: {exc}.") from exc


def run_daemon(args: argparse.Namespace) -> int:
    """Run the daemon until stopped."""
    # Deferred: the daemon loads APScheduler (about a second); only this command needs it.
    from companion.reminders.daemon import Daemon

    if args.time_scale <= 0:
        raise BadInputError("--time-scale must be a positive number.")
    if args.answer_seconds <= 0:
        raise BadInputError("--answer-seconds must be a positive number.")
    for t in args.at:
        if times.after_start(t) is None:
            times.parse_slot(t)
    session_args: tuple[str, ...] = ()
    if args.session_script:
        session_args = ("--script", args.session_script)
    options = Options(
        data_dir_arg=os.path.abspath(args.data_dir) if args.data_dir else None,
        at=tuple(args.at),
        script=_read_script(args.script) if args.script else None,
        voice=not args.no_voice,
        time_scale=args.time_scale,
        answer_seconds=args.answer_seconds,
        listen=not args.no_listen,
        session=not args.no_session,
        session_args=session_args,
    )
    return Daemon(paths.resolve(args.data_dir), options, _status).run()


def run_list(args: argparse.Namespace) -> int:
    """Print the next reminder times and what is waiting in the store."""
    from companion.reminders.scheduler import next_times, zone  # APScheduler: as above

    where = paths.resolve(args.data_dir)
    r = routine.load(where.routine_file)
    rem = r.reminders
    tz = zone(rem.timezone)
    slots = times.parse_slots(rem.times)
    if not slots:
        print(
            "No reminder times in the routine. Add one, for example:\n"
            "  companion routine set reminders.times '[\"10:30\"]'"
        )
    else:
        print(
            f"Reminder times: {', '.join(s.label for s in slots)} ({tz}); "
            f"grace {rem.grace_minutes} min; later = {rem.snooze_minutes} min, "
            f"at most {rem.max_snoozes} times"
        )
        print("Next reminders:")
        now = dt.datetime.now(tz)
        for at, _slot in next_times(slots, tz, now, max(1, args.count)):
            print(f"  {at:%a %d %b %Y %H:%M %Z}")
    stored, problems = pending(where.jobs_db)
    for p in stored:
        if p.kind == "snooze":
            print(
                f"Snoozed: the {p.slot} reminder comes back at "
                f"{p.next_run.astimezone(tz):%a %d %b %H:%M:%S} (later {p.snoozes} of "
                f"{rem.max_snoozes})"
            )
    for problem in problems:
        print(f"Reminder store: {problem}.")
    pid = lock.holder(where.daemon_lock)
    if pid:
        print(
            f"Daemon: running (pid {pid}). It reads the routine again within seconds of a change."
        )
    else:
        print(
            "Daemon: not running. Start it with: companion daemon "
            "(or make it start by itself: companion reminders install)"
        )
    return 0


def _daemon_command(args: argparse.Namespace) -> list[str]:
    cmd = [sys.executable, "-m", "companion.cli.main", "daemon"]
    if args.data_dir:
        cmd += ["--data-dir", os.path.abspath(args.data_dir)]
    return cmd


def _unit_dir(args: argparse.Namespace) -> Path:
    return Path(args.unit_dir).expanduser() if args.unit_dir else unit_mod.default_unit_dir()


def _report(result: unit_mod.Result) -> None:
    for line in result.done:
        print(line)
    for line in result.advice:
        print(line)


def run_install(args: argparse.Namespace) -> int:
    """Write and enable the user service."""
    routine.load(paths.resolve(args.data_dir).routine_file)  # refuse a broken routine now
    _report(unit_mod.install(_unit_dir(args), _daemon_command(args)))
    return 0


def run_uninstall(args: argparse.Namespace) -> int:
    """Stop, disable and remove the user service."""
    _report(unit_mod.uninstall(_unit_dir(args)))
    return 0
