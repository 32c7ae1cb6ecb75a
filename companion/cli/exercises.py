"""``companion exercises``: the exercise library, by level."""

from __future__ import annotations

import argparse

from companion import library, paths, prompts, routine


def register(
    subs: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the command."""
    p = subs.add_parser("exercises", parents=[common], help="list the exercises by level")
    p.add_argument("--steps", action="store_true", help="also show each exercise's steps")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the library."""
    r = routine.load(paths.resolve(args.data_dir).routine_file)
    words = prompts.load(r.language)
    levels = words.tables["ui"]["levels"]
    for level in (1, 2, 3):
        print(f"Level {level} - {levels[str(level)]}")
        for ex in library.by_level(level):
            w = words.exercise(
                ex.id, hand=f"your {r.affected_side} hand", other=f"your {r.other_side} hand"
            )
            kit = ", ".join(words.equipment(i) for i in ex.equipment)
            dose = (
                f"timed: {ex.default_seconds} s each way"
                if ex.kind is library.Kind.TIMED
                else f"counted: {ex.default_reps} reps"
            )
            print(f"  {ex.id:<13} {w.name:<20} {dose:<26} needs {kit}")
            if args.steps:
                for s in w.steps:
                    print(f"      - {s}")
                print(f"      ! {w.safety}")
    return 0
