"""The event log: every spoken line and every command, with time, one line each, appended."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import TextIO

log = logging.getLogger(__name__)


class EventLog:
    """Appends ``time<TAB>kind<TAB>json-details`` lines to a text file, flushed at once."""

    def __init__(self, path: Path | None) -> None:
        self._file: TextIO | None = None
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._file = path.open("a", encoding="utf-8")
            except OSError as exc:
                log.warning("cannot write the event log %s: %s", path, exc)

    def write(self, at: dt.datetime, kind: str, **details: object) -> None:
        """Append one event."""
        if self._file is None:
            return
        line = f"{at.isoformat(timespec='milliseconds')}\t{kind}\t"
        line += json.dumps(details, ensure_ascii=False, default=str)
        self._file.write(line + "\n")
        self._file.flush()

    def close(self) -> None:
        """Close the file."""
        if self._file is not None:
            self._file.close()
            self._file = None
