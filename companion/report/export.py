"""The raw history as CSV files, one per table: one snapshot, written whole or not at all.

All tables are read in one SQLite transaction, written into a temporary folder beside (or
inside) the destination, and only then renamed into place: an export killed midway leaves the
destination as it was, never files from two snapshots.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Iterable
from pathlib import Path

from companion import files
from companion.errors import BadInputError
from companion.history.migrations import TABLES

STAGING = ".companion-export-"
"""Name prefix of the temporary folder an export is written into before it is renamed."""

_HEADER = re.compile(r"[a-z_][a-z0-9_]*(,[a-z_][a-z0-9_]*)*")


def _earlier_export(path: Path, head: bytes) -> bool:
    """A ``<table>.csv`` whose first line is a header of column names, as an export writes."""
    first = head.split(b"\n", 1)[0].decode("ascii", "replace")
    return path.stem in TABLES and path.suffix == ".csv" and bool(_HEADER.fullmatch(first))


CSV_EXPORT = files.OutputKind("CSV export", _earlier_export)
"""What an earlier export looks like: it may be replaced without ``--force``."""


def table_csv(conn: sqlite3.Connection, table: str) -> tuple[str, int]:
    """One table as CSV text (header row first) and its number of rows."""
    if table not in TABLES:
        raise BadInputError(f"Unknown history table {table!r}; known: {', '.join(TABLES)}")
    cur = conn.execute(f"SELECT * FROM {table} ORDER BY rowid")
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([c[0] for c in cur.description])
    count = 0
    for row in cur:
        writer.writerow(row)
        count += 1
    return buf.getvalue(), count


def snapshot(conn: sqlite3.Connection) -> dict[str, tuple[str, int]]:
    """Every history table as CSV text, read in one transaction (one consistent snapshot)."""
    conn.execute("BEGIN")
    try:
        return {t: table_csv(conn, t) for t in TABLES}
    finally:
        conn.execute("COMMIT")


def _failed(folder: Path, exc: OSError) -> BadInputError:
    return BadInputError(
        f"The CSV files cannot be written to {folder}: {exc.strerror or exc}",
        hint="Nothing there was changed.",
    )


def _remove_stale_staging(folder: Path, parent: Path) -> None:
    """Temporary folders left by an export that was killed (they hold nothing of value)."""
    for where, prefix in ((folder, STAGING), (parent, f"{STAGING}{folder.name}-")):
        if where.is_dir():
            for old in where.glob(prefix + "*"):
                if old.is_dir() and not old.is_symlink():
                    shutil.rmtree(old, ignore_errors=True)


def export(
    conn: sqlite3.Connection, folder: Path, *, own: Iterable[Path] = (), force: bool = False
) -> dict[str, int]:
    """Write ``<table>.csv`` for every history table into ``folder``; rows written per table.

    ``own`` are the companion's own files (never replaced, even with ``force``); an existing
    file that is not an earlier export is replaced only with ``force``.
    """
    own = list(own)
    if folder.exists() and not folder.is_dir():
        raise BadInputError(f"{folder} is a file, not a folder.", hint="Give a folder name.")
    folder = files.refuse_own(folder, own)
    targets = {
        t: files.check_output_path(folder / f"{t}.csv", own, force, CSV_EXPORT) for t in TABLES
    }
    texts = snapshot(conn)  # everything is read before anything is written
    existed = folder.is_dir()
    try:
        if not folder.parent.exists():
            files.private_dir(folder.parent)
        _remove_stale_staging(folder, folder.parent)
        where = folder if existed else folder.parent
        prefix = STAGING if existed else f"{STAGING}{folder.name}-"
        staging = Path(tempfile.mkdtemp(prefix=prefix, dir=where))  # mode 0700
    except OSError as exc:
        raise _failed(folder, exc) from exc
    try:
        for table, (text, _) in texts.items():
            files.write_atomic(staging / f"{table}.csv", text)
        if existed:
            for table, target in targets.items():  # renames only: the data is already on disk
                os.replace(staging / f"{table}.csv", target)
            staging.rmdir()
        else:
            os.rename(staging, folder)  # one step: the whole folder appears at once
        files.fsync_dir(folder.parent)
    except OSError as exc:
        raise _failed(folder, exc) from exc
    finally:
        with contextlib.suppress(OSError):
            if staging.exists():
                shutil.rmtree(staging)
    return {table: count for table, (_, count) in texts.items()}
