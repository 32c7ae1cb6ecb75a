"""Doctor checks of the files: data folder, routine, emergency number, history, daemon lock."""

from __future__ import annotations

import os
import tempfile

from companion.doctor.finding import Context, Finding, Status, ok
from companion.errors import CompanionError
from companion.plurals import plural


def check_data_dir(ctx: Context) -> Finding:
    """The data and settings folders exist (or can be made) and a file can be written there."""
    name = "Data folder"
    try:
        ctx.paths.ensure()
        for folder in {ctx.paths.data_dir, ctx.paths.config_dir}:
            with tempfile.NamedTemporaryFile(dir=folder, prefix=".doctor-") as f:
                f.write(b"ok")
                f.flush()
                os.fsync(f.fileno())
    except (OSError, CompanionError) as exc:  # ensure(): a plain StorageError
        why = exc.message if isinstance(exc, CompanionError) else exc.strerror or exc
        return Finding(
            name,
            Status.FAIL,
            f"cannot write in {ctx.paths.data_dir}: {why}",
            "Choose a folder you can write to with --data-dir DIR (or COMPANION_DATA_DIR), "
            "or fix the folder's owner and permissions.",
        )
    return ok(name, f"{ctx.paths.data_dir} is writable")


def check_routine(ctx: Context) -> Finding:
    """The routine file is valid (or absent: the defaults are used)."""
    name = "Routine"
    if ctx.routine is None:
        return Finding(
            name,
            Status.FAIL,
            ctx.routine_problem,
            "Fix the line named above, then run: companion routine check",
        )
    where = ctx.paths.routine_file
    source = str(where) if where.exists() else "the packaged defaults (no routine file yet)"
    ids = ", ".join(e.id for e in ctx.routine.exercises)
    return ok(name, f"valid, from {source}: {ids}")


def check_emergency_number(ctx: Context) -> Finding:
    """The routine names the number said with "call now" (chest pain, stroke warning signs)."""
    name = "Emergency number"
    if ctx.routine is None:
        return Finding(name, Status.WARN, "cannot be read: the routine file is not valid")
    number = ctx.routine.safety.emergency_number
    if not number:
        return Finding(
            name,
            Status.WARN,
            'not set: the session can only say "call your emergency number"',
            "Set it with: companion routine set safety.emergency_number 999 "
            "(your local emergency number)",
        )
    return ok(name, f"{number} is said with the warning signs")


def check_history(ctx: Context) -> Finding:
    """The history database opens (checked, migrated) or does not exist yet."""
    # imported here: a module that fails to import is this check's finding (run_all)
    from companion.history.store import HistoryStore

    name = "History database"
    db = ctx.paths.history_db
    if not db.exists():
        return ok(name, "no history yet; it is created by the first session")
    try:
        with HistoryStore.open(db, create=False) as store:
            count = store.connection.execute("SELECT COUNT(*) FROM sessions").fetchone()[0]
    except CompanionError as exc:
        return Finding(
            name,
            Status.FAIL,
            exc.message,
            exc.hint
            or f"Move {db} somewhere safe (do not delete it: it holds the history), "
            "then a new one is made at the next session.",
        )
    except Exception as exc:  # sqlite errors the store did not translate
        return Finding(name, Status.FAIL, f"{db} cannot be read: {exc}", f"Move {db} aside.")
    return ok(name, f"{db} opens; {plural(count, 'session')} recorded")


def check_daemon(ctx: Context) -> Finding:
    """The reminder daemon is running (it holds the lock file)."""
    # imported here: a module that fails to import is this check's finding (run_all)
    from companion.reminders.lock import holder

    name = "Reminder daemon"
    try:
        pid = holder(ctx.paths.daemon_lock)
    except OSError as exc:
        return Finding(name, Status.WARN, f"the lock file cannot be read: {exc}", "")
    if pid is None:
        return Finding(
            name,
            Status.WARN,
            "not running, so no spoken reminders will come",
            "Start it with: companion daemon   (or make it start by itself: "
            "companion reminders install)",
        )
    return ok(name, "running" + (f" (pid {pid})" if pid > 0 else ""))
