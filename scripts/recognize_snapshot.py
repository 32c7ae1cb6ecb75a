"""Snapshot of `companion recognize` over the shared speech set, for refactoring checks.

Runs the `companion recognize` command in this process (the same `companion.cli.main.main`
the console script calls, so the same code path; one model load for all clips instead of one
per process) over every WAV clip under the speech folder, in each context asked for, with an
empty data folder (no user's voice). Writes one JSON line per clip and context, timing fields
removed, sorted: two snapshots from two versions of the code diff empty when the recogniser's
results are the same.

    python scripts/recognize_snapshot.py OUT.jsonl [--speech DIR] [--context ready ...]

Which code is measured is the `companion` package first on sys.path (set PYTHONPATH to a git
worktree to snapshot another commit); the script prints the file it imported.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
from pathlib import Path

import companion  # the package under test: the first on sys.path (PYTHONPATH)
from companion.cli.main import main as companion_main

TIMING_FIELDS = ("decode_ms",)
"""Fields that differ from run to run on the same code (wall-clock time)."""
DEFAULT_SPEECH = Path(__file__).resolve().parents[2] / "shared" / "data" / "speech"
DEFAULT_CONTEXTS = ("ready", "counting", "number")
"""Contexts covered: the command words, the quick "stop" path while counting, and numbers
(confirmation floor)."""
BATCH = 200
"""Clips per in-process `recognize` call (bounds the lines held before writing)."""


def clips(speech: Path) -> list[Path]:
    """Every WAV file under ``speech``, in a stable order."""
    return sorted(speech.rglob("*.wav"))


def recognize_lines(files: list[Path], context: str, data_dir: str) -> list[str]:
    """`companion recognize --context CONTEXT FILES` in this process; its stdout lines."""
    out = io.StringIO()
    argv = ["--data-dir", data_dir, "recognize", "--context", context, *map(str, files)]
    with contextlib.redirect_stdout(out):
        status = companion_main(argv)
    if status != 0:
        raise SystemExit(f"companion recognize exited {status}")
    return out.getvalue().splitlines()


def snapshot_line(line: str, context: str, speech: Path) -> str:
    """One output line without timing, with the context and the clip relative to ``speech``."""
    record = json.loads(line)
    for field in TIMING_FIELDS:
        record.pop(field, None)
    record["file"] = str(Path(record["file"]).relative_to(speech))
    record["context"] = context
    return json.dumps(record, sort_keys=True)


def main(argv: list[str] | None = None) -> int:
    """Write the snapshot; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="JSON-lines file to write")
    parser.add_argument("--speech", type=Path, default=DEFAULT_SPEECH, help="speech folder")
    parser.add_argument("--context", action="append", help="context(s) (default: %(default)s)")
    parser.add_argument("--limit", type=int, default=0, help="only the first N clips (a check)")
    parser.add_argument(
        "--every", type=int, default=1, help="only every Nth clip (a quicker, spread-out check)"
    )
    args = parser.parse_args(argv)
    print(f"measuring {companion.__file__}", file=sys.stderr)
    speech = args.speech.resolve()
    files = clips(speech)[:: args.every]
    if args.limit:
        files = files[: args.limit]
    lines: list[str] = []
    with tempfile.TemporaryDirectory() as data_dir:
        for context in args.context or DEFAULT_CONTEXTS:
            for i in range(0, len(files), BATCH):
                batch = files[i : i + BATCH]
                found = recognize_lines(batch, context, data_dir)
                lines += [snapshot_line(x, context, speech) for x in found]
                print(f"{context}: {i + len(batch)}/{len(files)}", file=sys.stderr, flush=True)
    args.out.write_text("".join(f"{x}\n" for x in sorted(lines)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
