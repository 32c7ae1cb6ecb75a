"""The routine file watch on real files: a change is seen once; a touch or a rewrite is not."""

from __future__ import annotations

import os
from pathlib import Path

from companion.reminders.watch import FileWatch


def test_a_change_is_seen_once_and_the_same_content_is_no_change(tmp_path: Path) -> None:
    path = tmp_path / "routine.toml"
    path.write_text("[reminders]\ntimes = ['10:30']\n")
    watch = FileWatch(path)
    watch.mark()
    assert not watch.changed()
    os.utime(path, ns=(1, 1))  # touched: new times, same content
    path.write_text(path.read_text())  # rewritten with the same content
    assert not watch.changed()
    path.write_text("[reminders]\ntimes = ['10:31']\n")  # same size, other content
    assert watch.changed()
    assert not watch.changed()  # seen once


def test_a_file_that_appears_or_goes_away_is_a_change(tmp_path: Path) -> None:
    path = tmp_path / "routine.toml"
    watch = FileWatch(path)
    watch.mark()
    assert not watch.changed()
    path.write_text("[reminders]\n")
    assert watch.changed()
    path.unlink()
    assert watch.changed()
    assert not watch.changed()
