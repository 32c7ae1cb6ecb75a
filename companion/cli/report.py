"""``companion report`` (the therapist's HTML page) and ``companion export --csv DIR``."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
from pathlib import Path

from companion import files, paths, prompts, routine
from companion.errors import BadInputError, CompanionError
from companion.history.store import HistoryStore
from companion.report import export

log = logging.getLogger(__name__)


def _date(text: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-03-31") from None
    latest = dt.date.today() + dt.timedelta(days=366)
    if not dt.date(2000, 1, 1) <= day <= latest:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day from 2000-01-01 to {latest}")
    return day


def _days(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 3660:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days from 1 to 3660")
    return int(text)


def register(
    subs: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the ``report`` and ``export`` commands."""
    p = subs.add_parser(
        "report",
        parents=[common],
        help="write the therapist's report (one HTML page with charts)",
        description="Write one self-contained HTML page a therapist can open or print: "
        "repetitions, pain and effort, an adherence calendar, dose changes and every stop.",
    )
    p.add_argument("--days", type=_days, default=28, help="how many days (default 28)")
    p.add_argument("--end", type=_date, help="last day, YYYY-MM-DD (default today)")
    p.add_argument("--out", type=Path, required=True, metavar="FILE.html", help="page to write")
    p.add_argument(
        "--force",
        action="store_true",
        help="replace FILE.html even if it is not an earlier report "
        "(the companion's own files are never replaced)",
    )
    p.set_defaults(func=run_report)

    e = subs.add_parser("export", parents=[common], help="write the raw history as CSV files")
    e.add_argument(
        "--csv",
        type=Path,
        required=True,
        metavar="DIR",
        help="folder for the CSV files (one per table)",
    )
    e.add_argument(
        "--force",
        action="store_true",
        help="replace CSV files there even if they are not from an earlier export",
    )
    e.set_defaults(func=run_export)


def _open(data_dir: str | None) -> HistoryStore:
    return HistoryStore.open(paths.resolve(data_dir).history_db, create=False)


def _routine(data_dir: str | None) -> routine.Routine:
    try:
        return routine.load(paths.resolve(data_dir).routine_file)
    except CompanionError as exc:
        log.warning("the routine file has a problem; the report uses the defaults: %s", exc)
        return routine.default()


def run_report(args: argparse.Namespace) -> int:
    """Gather, draw and write the page."""
    from companion.report import data, page  # matplotlib: loaded only when a report is made

    out: Path = args.out
    if out.is_dir():
        raise BadInputError(f"{out} is a folder; give a file name like report.html")
    own = files.own_files(paths.resolve(args.data_dir))
    target = files.check_output_path(out, own, args.force, page.REPORT)
    now = dt.datetime.now().astimezone()
    last = args.end or now.date()
    first = last - dt.timedelta(days=args.days - 1)
    r = _routine(args.data_dir)
    with _open(args.data_dir) as store:
        store.connection.execute("BEGIN")
        try:
            numbers = data.gather(store.connection, first, last)
        finally:
            store.connection.execute("COMMIT")
    html = page.render(numbers, r, prompts.load(r.language), now)
    try:
        if not target.parent.exists():
            files.private_dir(target.parent)
        files.write_atomic(target, html)
    except OSError as exc:
        raise BadInputError(
            f"The report cannot be written to {out}: {exc.strerror or exc}"
        ) from exc
    print(
        f"Wrote {out} ({len(html) // 1024} KB): {numbers.first:%d %b %Y} to {last:%d %b %Y}, "
        f"{page.plural(sum(d.sessions for d in numbers.days), 'session')}, "
        f"{page.plural(sum(d.total_reps for d in numbers.days), 'repetition')}."
    )
    return 0


def run_export(args: argparse.Namespace) -> int:
    """Write every history table as CSV."""
    with _open(args.data_dir) as store:
        own = files.own_files(paths.resolve(args.data_dir))
        written = export.export(store.connection, args.csv, own=own, force=args.force)
    for table, count in written.items():
        print(f"{args.csv / (table + '.csv')}: {count} rows")
    return 0
