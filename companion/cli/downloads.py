"""What ``companion models`` and ``companion voices`` share: a group of actions that shows its
help when no action is given, sizes in megabytes, and the download progress bar."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator

from companion.errors import ExitStatus


def action_group(
    subs: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
    name: str,
    *,
    help: str,
) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    """Add command ``name`` (which prints its help and exits USAGE without an action); returns
    the sub-parsers its actions are added to (``args.<name>_command`` names the action)."""
    p = subs.add_parser(name, parents=[common], help=help)

    def usage(_args: argparse.Namespace) -> int:
        p.print_help()
        return int(ExitStatus.USAGE)

    p.set_defaults(func=usage)
    return p.add_subparsers(dest=f"{name}_command", metavar="ACTION")


def mb(n: int) -> str:
    """``n`` bytes in megabytes, as shown to the user ("41.2 MB")."""
    return f"{n / 1e6:.1f} MB"


class ProgressBar:
    """A one-line progress bar on stderr (a line per 10% when stderr is not a terminal)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.tty = sys.stderr.isatty()
        self.shown = -1

    def __call__(self, done: int, total: int) -> None:
        if total:
            pct = min(100, done * 100 // total)
            step = pct if self.tty else pct // 10 * 10
            if step == self.shown:
                return
            self.shown = step
            bar = "#" * (pct // 4) + "." * (25 - pct // 4)
            line = f"{self.label} [{bar}] {pct:3d}%  {mb(done)} of {mb(total)}"
        else:
            line = f"{self.label} {mb(done)}"
        sys.stderr.write(("\r" + line) if self.tty else line + "\n")
        sys.stderr.flush()

    def end(self) -> None:
        if self.tty:
            sys.stderr.write("\n")


@contextlib.contextmanager
def progress_bar(label: str) -> Iterator[ProgressBar]:
    """A ProgressBar for the ``with`` block; its line is ended however the block ends."""
    bar = ProgressBar(label)
    try:
        yield bar
    finally:
        bar.end()
