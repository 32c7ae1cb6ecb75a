"""``companion exercises``: the exercise library, by level."""

from __future__ import annotations

import argparse
from pathlib import Path

from companion import files, library, paths, prompts, routine
from companion.errors import BadInputError


def register(
    subs: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the command."""
    p = subs.add_parser("exercises", parents=[common], help="list the exercises by level")
    p.add_argument("--steps", action="store_true", help="also show each exercise's steps")
    p.add_argument(
        "--html", metavar="FILE", type=Path, help="write a page with a picture of each exercise"
    )
    p.add_argument("--force", action="store_true", help="with --html: replace any file there")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the library."""
    r = routine.load(paths.resolve(args.data_dir).routine_file)
    words = prompts.load(r.language)
    if args.html is not None:
        return write_html(args, r, words)
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


def write_html(args: argparse.Namespace, r: routine.Routine, words: prompts.Prompts) -> int:
    """Write the exercises page (pictures drawn for the affected hand)."""
    from companion.screen import catalogue  # jinja2: loaded only when a page is written

    out: Path = args.html
    target = files.check_output_path(
        out, files.own_files(paths.resolve(args.data_dir)), args.force, catalogue.PAGE
    )
    try:
        files.write_atomic(target, catalogue.standalone(r, words))
    except OSError as exc:
        raise BadInputError(f"The page cannot be written to {out}: {exc.strerror or exc}") from exc
    print(f"Wrote {out}: the nine exercises, drawn for the {r.affected_side} hand.")
    return 0
