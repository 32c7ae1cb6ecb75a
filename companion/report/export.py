"""The raw history as CSV files, one per table, each written whole or not at all."""

from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path

from companion.errors import BadInputError
from companion.history.migrations import TABLES
from companion.routine_edit import atomic_write


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


def export(conn: sqlite3.Connection, folder: Path) -> dict[str, int]:
    """Write ``<table>.csv`` for every history table into ``folder``; rows written per table."""
    if folder.exists() and not folder.is_dir():
        raise BadInputError(f"{folder} is a file, not a folder.", hint="Give a folder name.")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInputError(f"The folder {folder} cannot be made: {exc.strerror or exc}") from exc
    conn.execute("BEGIN")  # one consistent snapshot, read in full before anything is written
    try:
        texts = {t: table_csv(conn, t) for t in TABLES}
    finally:
        conn.execute("COMMIT")
    written: dict[str, int] = {}
    for table, (text, count) in texts.items():
        try:
            atomic_write(folder / f"{table}.csv", text)
        except OSError as exc:
            raise BadInputError(
                f"Writing {folder / (table + '.csv')} failed: {exc.strerror or exc}"
            ) from exc
        written[table] = count
    return written
