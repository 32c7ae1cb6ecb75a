"""``companion plan`` (a day's plan with reasons, caregiver approval) and ``companion history``."""

from __future__ import annotations

import argparse
import datetime as dt

from companion import library, paths, prompts, routine
from companion.cli import dates
from companion.errors import BadInputError
from companion.history import daybook, practice_days, queries, safety_words
from companion.history.store import HistoryStore
from companion.history.summary import HistorySummary
from companion.plan import Change
from companion.progression import WARNING_HOLD, Explained, Status, describe, explain
from companion.prompts import Prompts
from companion.records import UNFINISHED, Outcome, Reason


def register(
    subs: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add ``plan`` and ``history``."""
    p = subs.add_parser(
        "plan",
        parents=[common],
        help="show a day's plan and why it is so",
        description="Today's (or that day's) exercises and doses, what changed "
        "since last time, and why.",
    )
    p.add_argument("--date", metavar="YYYY-MM-DD", help="the day to plan (default: today)")
    p.add_argument(
        "--approve",
        nargs="?",
        const="*",
        metavar="EXERCISE",
        help="caregiver: let the exercise(s) waiting for approval start from that day",
    )
    p.set_defaults(func=run_plan)
    h = subs.add_parser(
        "history",
        parents=[common],
        help="what was done, day by day",
        description="Sessions, sets, pain and effort, stops, missed days and streaks, day by day.",
    )
    h.add_argument("--days", type=int, default=14, metavar="N", help="how many days (default 14)")
    h.add_argument("--date", metavar="YYYY-MM-DD", help="the last day shown (default: today)")
    h.set_defaults(func=run_history)


PLAN_AHEAD = dt.timedelta(days=366)
"""How far ahead ``plan --date`` may look (and ``--approve`` may take effect)."""


def parse_day(text: str | None, latest: dt.timedelta = dt.timedelta(0)) -> dt.date:
    """``--date`` (today if not given) from 2000-01-01 to ``latest`` after today."""
    today = dt.date.today()
    return today if text is None else dates.parse_day(text, today=today, latest=today + latest)


def _long(day: dt.date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def _dose(reps: int, exercise_id: str) -> str:
    timed = library.get(exercise_id).kind is library.Kind.TIMED
    return f"{reps} s each way" if timed else f"{reps} reps"


def _reason(s: Status, e: Explained, words: Prompts, days_needed: int) -> str:
    change = next((c for c in e.plan.changes if c.exercise_id == s.exercise_id), None)
    if change is None and s.rule == WARNING_HOLD:  # said once for the whole programme
        change = Change("", "hold", s.reps, s.reps, WARNING_HOLD)
    if change is not None:
        return describe(change, words, days_needed)
    if s.rule == "restart_gap":
        return "restarting gently after the break"
    if s.rule == "new" or s.easy_days == 0:
        return "the routine's dose" if e.last_day is None else "easy days in a row: 0"
    top = " (at the top; next comes a new exercise)" if s.reps >= s.ceiling else ""
    return f"easy days in a row: {s.easy_days} of {days_needed}{top}"


def run_plan(args: argparse.Namespace) -> int:
    """Print the plan; with ``--approve`` record the caregiver's approval first."""
    where = paths.resolve(args.data_dir)
    chosen = routine.load(where.routine_file)
    words = prompts.load(chosen.language)
    day = parse_day(args.date, PLAN_AHEAD)
    store = None
    if args.approve is not None or where.history_db.exists():
        store = HistoryStore.open(where.history_db, create=args.approve is not None)
    try:

        def current() -> Explained:
            summary = practice_days.summary(store.connection, day) if store else HistorySummary()
            return explain(chosen, summary, day)

        e = current()
        if args.approve is not None and store is not None:
            _approve(store, args.approve, e, words, day)
            e = current()
        today = queries.sessions(store.connection, day, day) if store else []
    finally:
        if store is not None:
            store.close()
    _print_plan(e, words, chosen.progression.days_needed, today, day)
    return 0


def _approve(store: HistoryStore, which: str, e: Explained, words: Prompts, day: dt.date) -> None:
    if not e.waiting:
        print("Nothing is waiting for approval.")
        return
    chosen = list(e.waiting) if which == "*" else [which]
    for ex in chosen:
        if ex not in e.waiting:
            raise BadInputError(
                f"{ex!r} is not waiting for approval; waiting: " + ", ".join(e.waiting)
            )
        store.approve(ex, day, dt.datetime.now().astimezone())
        print(f"Approved: {words.exercise(ex).name} starts from {_long(day)}.")


def _print_plan(
    e: Explained, words: Prompts, days_needed: int, today: list[queries.SessionRow], day: dt.date
) -> None:
    print(f"Plan for {_long(day)}")
    for n, (item, s) in enumerate(zip(e.plan.items, e.status, strict=True), start=1):
        name = words.exercise(item.exercise_id).name
        sets = (
            f"{item.sets} set{'s' if item.sets != 1 else ''} x {_dose(item.reps, item.exercise_id)}"
        )
        print(f"  {n}. {name:<20} {sets:<22} {_reason(s, e, words, days_needed)}")
    if e.plan.changes:
        # a change of a listed exercise is its reason above; only the others are listed here
        listed = {item.exercise_id for item in e.plan.items}
        others = [c for c in e.plan.changes if c.exercise_id not in listed]
        n_above = len(e.plan.changes) - len(others)
        told = "" if not n_above else "the change above" if n_above == 1 else "the changes above"
        if not others:
            print(f"Said at the start of the session: {told}.")
        else:
            print("Said at the start of the session" + (f": {told}, and" if told else "") + ":")
            for c in others:
                print(f"  - {describe(c, words, days_needed)}")
    else:
        print("No changes since last time.")
    if e.last_day is None:
        print("No practice recorded before this day.")
    else:
        print(f"Last practice: {_long(e.last_day)}.")
    if e.waiting:
        names = ", ".join(words.exercise(x).name for x in e.waiting)
        print(
            f"Waiting for the caregiver's approval: {names}. Approve with: companion plan --approve"
        )
    if today:
        hows = ", ".join(s.how or UNFINISHED for s in today)
        print(
            f"Already done this day: {len(today)} session{'s' if len(today) > 1 else ''} "
            f"({hows}); another one repeats this plan and its changes are not said again."
        )


def _clock(iso: str) -> str:
    return iso[11:16]


def _name(exercise_id: str, words: Prompts) -> str:
    """The exercise's name; its id if this version no longer knows it (an older history)."""
    return words.exercise(exercise_id).name if exercise_id in library.BY_ID else exercise_id


def _why(reason: str, words: Prompts) -> str:
    """A stop's or skip's reason in plain words (prompts report.toml), e.g. ``pain``."""
    plain: dict[str, str] = words.tables.get("report", {}).get("reasons", {})
    return plain.get(reason, reason.replace("_", " "))


def _change_text(c: queries.ChangeRow, words: Prompts, days_needed: int) -> str:
    """A logged change as the sentence the session said (its rule in plain words)."""
    try:
        return describe(Change(c.exercise_id, c.kind, c.old, c.new, c.rule), words, days_needed)
    except KeyError:  # a rule or exercise this version does not know (an older history)
        name = _name(c.exercise_id, words) if c.exercise_id else "programme"
        return f"{name} {c.kind} {c.old} -> {c.new} ({c.rule.replace('_', ' ')})"


def _session_line(entry: daybook.SessionEntry, words: Prompts) -> str:
    row = entry.row
    end = _clock(row.ended_at) if row.ended_at else "?"
    when = f"{_clock(row.started_at)}-{end}" + (" (ended next day)" if entry.ended_next_day else "")
    how = (
        f"{UNFINISHED} (still running, or the computer stopped)"
        if row.how is None
        else row.how
        if row.how == Outcome.COMPLETED
        else f"ended: {_why(row.how, words)}"
    )
    done: dict[str, list[str]] = {}
    for s in entry.sets:
        known = library.BY_ID.get(s.exercise_id)
        unit = "s" if known is not None and known.kind is library.Kind.TIMED else ""
        text = f"{s.done}{unit}" if s.completed and s.done >= s.planned else f"{s.done}/{s.planned}"
        done.setdefault(s.exercise_id, []).append(text)
    parts = [f"{_name(ex, words)} {' + '.join(v)}" for ex, v in done.items()]
    parts += [_stop_text(x.exercise_id, x.reason, words) for x in entry.stops]
    parts += [
        f"skipped {_name(x.exercise_id, words)} ({_why(x.reason, words)})" for x in entry.skips
    ]
    return f"{when} {how}: " + ("; ".join(parts) if parts else "no sets")


def _stop_text(exercise_id: str, reason: str, words: Prompts) -> str:
    """One stop as the caregiver reads it; "it hurts" at the safety questions is no stop of the
    session (it is noted, and the questions go on)."""
    if exercise_id:
        return f"stopped {_name(exercise_id, words)} ({_why(reason, words)})"
    if reason == Reason.PAIN:
        return "it hurt at the safety questions"
    return f"session stopped ({_why(reason, words)})"


def run_history(args: argparse.Namespace) -> int:
    """Print the last N days, one block per day, then streaks and missed days."""
    if not 1 <= args.days <= 3660:
        raise BadInputError("--days must be a whole number from 1 to 3660")
    where = paths.resolve(args.data_dir)
    chosen = routine.load(where.routine_file)
    words = prompts.load(chosen.language)
    last = parse_day(args.date)
    first = last - dt.timedelta(days=args.days - 1)
    if not where.history_db.exists():
        print(f"No sessions recorded yet (looked in {where.history_db}).")
        return 0
    with HistoryStore.open(where.history_db, create=False) as store:
        book = daybook.build(store.connection, first, last, today=dt.date.today())
        answers: dict[int, list[str]] = {}
        for a in queries.safety_answers(store.connection, first, last):
            answers.setdefault(a.session_id, []).append(safety_words.brief(a))
    days = "the day" if args.days == 1 else f"the {args.days} days to"
    print(f"History for {days} {_long(last)}")
    pad = " " * 16
    for d in book.days:
        head = f"{d.day:%a} {d.day.isoformat()}"
        if not d.sessions:
            what = (
                "-" if d.before_start else ("missed" if d.day in book.missed else "no session yet")
            )
            print(f"{head}  {what}")
        for n, entry in enumerate(d.sessions):
            print(f"{head if n == 0 else pad[:14]}  {_session_line(entry, words)}")
            if entry.row.id in answers:
                print(f"{pad}Safety check: {', '.join(answers[entry.row.id])}")
        if d.sessions and (d.max_pain is not None or d.max_effort is not None):
            pain = "-" if d.max_pain is None else d.max_pain
            effort = "-" if d.max_effort is None else d.max_effort
            print(f"{pad}highest pain {pain}, highest effort {effort}")
        if len(d.sessions) > 1:
            print(f"{pad}{len(d.sessions)} sessions this day")
        for c in d.changes:
            print(f"{pad}change: {_change_text(c, words, chosen.progression.days_needed)}")
        if d.reminders:
            print(f"{pad}reminders: {', '.join(r.replace('_', ' ') for r in d.reminders)}")
        for e in d.at_reminders:
            place = "at a reminder" if e.place == "reminder" else "on the screen"
            print(f"{pad}Safety {place} {e.at[11:16]}: {safety_words.at_reminder(e)}")
    missed = ", ".join(f"{m:%a} {m.isoformat()}" for m in book.missed)
    print(
        f"Streak: {book.current_streak} day{'s' if book.current_streak != 1 else ''} in a row; "
        f"longest {book.longest_streak}."
    )
    print(f"Missed days: {len(book.missed)}" + (f" ({missed})." if missed else "."))
    return 0
