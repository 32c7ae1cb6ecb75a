"""``companion routine init|show|check|set|add|remove``: the caregiver's routine file."""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path
from typing import Any

import tomlkit

from companion import paths, prompts, routine
from companion.errors import BadInputError, CompanionError, RoutineError
from companion.routine import carer_input as routine_input
from companion.routine import edit as routine_edit
from companion.routine.schema import phone_number


def register(
    subs: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the ``routine`` command and its sub-commands."""
    p = subs.add_parser(
        "routine",
        parents=[common],
        help="set up and check the routine file",
        description="Create, check and edit the routine file. Edits keep your "
        "comments and are refused, leaving the file as it was, "
        "when a value is not allowed.",
    )
    acts = p.add_subparsers(dest="action", metavar="ACTION", required=True)

    a = acts.add_parser("init", parents=[common], help="write a fully commented routine file")
    a.add_argument("--force", action="store_true", help="replace an existing file")
    a.add_argument(
        "--emergency-number",
        metavar="NUMBER",
        help="the number to call with the stroke warning signs, e.g. 999 "
        "(asked for when not given, on a terminal)",
    )
    a.set_defaults(func=run_init)

    a = acts.add_parser("show", parents=[common], help="print the routine in effect")
    a.set_defaults(func=run_show)

    a = acts.add_parser("check", parents=[common], help="check the routine file for mistakes")
    a.add_argument("file", nargs="?", type=Path, help="a file to check (default: the routine)")
    a.set_defaults(func=run_check)

    a = acts.add_parser(
        "set",
        parents=[common],
        help="change one setting",
        epilog="examples: routine set speech.rate 140 | "
        "routine set exercise.wrist_bend.reps 12 | "
        "routine set reminders.times 09:00,17:30",
    )
    a.add_argument("key", help="setting, e.g. speech.rate or exercise.wrist_bend.reps")
    a.add_argument("value", help="new value")
    a.set_defaults(func=run_set)

    a = acts.add_parser("add", parents=[common], help="add an exercise to the routine")
    a.add_argument("exercise", help="exercise id (see: companion exercises)")
    a.add_argument("--reps", type=int, help="repetitions per set (seconds for a timed one)")
    a.add_argument("--sets", type=int, help="sets per session")
    a.add_argument("--seconds-per-rep", type=float, help="counting speed")
    a.add_argument("--rest", type=int, dest="rest_seconds", help="rest between sets (seconds)")
    a.add_argument("--position", type=int, help="place in the order (1 = first; default last)")
    a.set_defaults(func=run_add)

    a = acts.add_parser("remove", parents=[common], help="take an exercise out of the routine")
    a.add_argument("exercise", help="exercise id")
    a.set_defaults(func=run_remove)


def _file(args: argparse.Namespace) -> Path:
    return paths.resolve(args.data_dir).routine_file


ASK_NUMBER = (
    "Emergency number to call if stroke warning signs appear (for example 999, 112 or 911).\n"
    "Type it and press Enter, or just press Enter to set it later: "
)
NO_NUMBER = (
    "No emergency number set: the companion will say 'call your emergency number'. "
    "Set it later with: companion routine set safety.emergency_number 999"
)


def ask_emergency_number() -> str:
    """Ask on the terminal until a phone number (or nothing) is typed."""
    for _ in range(3):
        try:
            typed = input(ASK_NUMBER).strip()
        except EOFError:
            return ""
        if phone_number(typed):
            return typed
        print(f"{typed!r} is not a phone number; use digits, spaces, +, - and brackets.")
    return ""


def run_init(args: argparse.Namespace) -> int:
    """Write the commented routine file, with the emergency number (asked for on a terminal)."""
    path = _file(args)
    number = args.emergency_number
    if number is not None and not phone_number(number.strip()):
        raise BadInputError(
            f"--emergency-number {number!r} is not a phone number; use digits, spaces, +, - "
            "and brackets, e.g. 999 or +44 20 7946 0000. Nothing was written."
        )
    if path.exists() and not args.force:
        routine_edit.init(path, force=False)  # refuses plainly before anything is asked
    if number is None and sys.stdin.isatty():
        number = ask_emergency_number()
    with routine_edit.editing(path):
        routine_edit.init(path, force=args.force)
        if number and number.strip():
            _, doc = routine_edit.read_document(path)
            routine_edit.set_value(doc, "safety.emergency_number", number.strip())
            routine_edit.save(path, doc)
    print(f"Wrote {path}")
    if not (number and number.strip()):
        print(NO_NUMBER)
    print("Every setting has a comment saying what it does and what is allowed.")
    print("Edit it with a text editor or: companion routine set KEY VALUE")
    return 0


def effective_data(path: Path) -> dict[str, Any]:
    """The routine in effect as plain data: the file (validated) layered over the defaults."""
    if not path.exists():
        return routine.defaults_data()
    routine.load(path)
    text = path.read_text(encoding="utf-8-sig")
    return routine.merge(routine.defaults_data(), tomllib.loads(text))


def run_show(args: argparse.Namespace) -> int:
    """Print the effective routine as TOML, with exercise names."""
    path = _file(args)
    data = effective_data(path)
    source = f"{path} over the packaged defaults" if path.exists() else "the packaged defaults"
    print(f"# The routine in effect, from {source}.")
    words = prompts.load(data["language"])
    names = ", ".join(words.exercise(e["id"]).name for e in data["exercise"])
    print(f"# Exercises in order: {names}")
    print(tomlkit.dumps(data).rstrip())
    return 0


def run_check(args: argparse.Namespace) -> int:
    """Validate a routine file; non-zero exit with field, line and what is allowed."""
    path: Path = args.file or _file(args)
    if not path.exists():
        if args.file:
            raise RoutineError("no such file", field=str(path))
        print(f"No routine file at {path}: the packaged defaults are used.")
        print("Create a commented one with: companion routine init")
        return 0
    r = routine.load(path)
    total = sum(e.reps * e.sets for e in r.exercises)
    print(f"OK: {path} is valid.")
    print(
        f"{len(r.exercises)} exercises ({', '.join(e.id for e in r.exercises)}), "
        f"about {total} repetitions a session; reminders at {', '.join(r.reminders.times)}; "
        f"safety questions {'on' if r.safety.pre_session_check else 'off'}."
    )
    return 0


def run_set(args: argparse.Namespace) -> int:
    """Change one setting in place, understanding what a carer types ("9:00", "Left", "90" as a
    volume in per cent, "Bottle grasp" for an exercise); refusing what would break a day."""
    path = _file(args)
    key = routine_input.setting_key(args.key)
    text = routine_input.tidy(key, args.value) if routine_input.forgives(key) else args.value
    why = routine_input.refusal(key, text)
    if why:
        raise BadInputError(f"{key}: {why}", hint=f"Nothing was changed in {path}.")
    try:
        with routine_edit.editing(path):
            _, doc = routine_edit.read_document(path)
            value = routine_edit.set_value(doc, key, text)
            routine_edit.save(path, doc)
    except CompanionError as exc:
        exc.message = routine_input.plain(exc.message)  # no Python lists in the message
        raise
    print(f"Set {key} to {routine_input.shown(value) or '(empty)'} in {path}")
    return 0


def run_add(args: argparse.Namespace) -> int:
    """Add an exercise."""
    path = _file(args)
    settings = {
        k: getattr(args, k)
        for k in ("reps", "sets", "seconds_per_rep", "rest_seconds")
        if getattr(args, k) is not None
    }
    args.exercise = routine_input.exercise_id(args.exercise)  # a title ("Bottle grasp") too
    with routine_edit.editing(path):
        _, doc = routine_edit.read_document(path)
        routine_edit.add_exercise(doc, args.exercise, settings, args.position)
        routine_edit.save(path, doc)
    print(f"Added {args.exercise} to {path}")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    """Remove an exercise."""
    path = _file(args)
    args.exercise = routine_input.exercise_id(args.exercise)
    with routine_edit.editing(path):
        _, doc = routine_edit.read_document(path)
        routine_edit.remove_exercise(doc, args.exercise)
        routine_edit.save(path, doc)
    print(f"Removed {args.exercise} from {path}")
    return 0
