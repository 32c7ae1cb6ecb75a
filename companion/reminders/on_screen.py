"""Shows what a reminder says on an open ``companion screen`` of the same data folder, as the
page's caption (as a session's lines are shown: people who hear poorly read them there);
nothing changes without an open screen, or if it goes away meanwhile."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

from companion.events import Effect, Say
from companion.screen.attach import RemoteLive, attach
from companion.screen.link import CAPTION_LINES

log = logging.getLogger(__name__)
Watcher = Callable[[list[Effect], dt.datetime], None]


@contextlib.contextmanager
def shown(data_dir: Path) -> Iterator[Watcher | None]:
    """A watcher for the reminder's loop that shows its lines on the open screen (None: none)."""
    joined = attach(data_dir)
    if joined is None:
        yield None
        return
    _link, remote = joined
    try:
        yield lambda effects, _now: _show(remote, effects)
    finally:
        remote.close()


def _show(remote: RemoteLive, effects: list[Effect]) -> None:
    said = [e.text for e in effects if isinstance(e, Say)]
    if not said:
        return
    try:
        remote.update(caption=" ".join(said[-CAPTION_LINES:]), said=" ".join(said[:-CAPTION_LINES]))
    except Exception:  # noqa: BLE001 - the page must never stop the reminder
        log.exception("the screen could not show what the reminder said")
