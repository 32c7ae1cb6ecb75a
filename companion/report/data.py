"""The numbers of the therapist's report, gathered from the history for a range of days."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace

from companion import library
from companion.history import queries
from companion.records import UNFINISHED, Outcome

DONE, PARTLY, MISSED, NOT_STARTED = "done", "partly", "missed", "not started"
"""Adherence of one day: every planned set done in a completed session; some practice; no
practice at all; or a day before the first session ever recorded (not counted)."""


@dataclass(frozen=True)
class Day:
    """One calendar day of the report."""

    day: dt.date
    status: str
    sessions: int = 0
    reps: dict[str, int] = field(default_factory=dict)
    """Repetitions done per counted exercise."""
    seconds: dict[str, int] = field(default_factory=dict)
    """Seconds done per timed exercise."""
    sets_done: int = 0
    sets_planned: int = 0
    max_pain: int | None = None
    max_effort: int | None = None
    stops: int = 0

    @property
    def total_reps(self) -> int:
        """All repetitions of counted exercises that day."""
        return sum(self.reps.values())


@dataclass(frozen=True)
class Stop:
    """A stop, a skip or a session that ended early, with its reason."""

    at: str
    day: dt.date
    what: str
    """stop, skip or session."""
    exercise_id: str
    reason: str
    pain: int | None = None
    """The pain rating given last before (or with) the stop in that session, if any."""
    session_id: int = 0
    follows: bool = False
    """Part of the same event as the row before it (an "it hurts" stop, then that exercise
    skipped, then the session ended for pain): shown, but counted once, at its first row."""

    @property
    def safety(self) -> bool:
        """A stop the companion made for safety: pain too high or a safety answer of yes."""
        return self.reason in SAFETY_REASONS

    @property
    def counted(self) -> bool:
        """The first row of an event: each stop, skip or early end is counted once."""
        return not self.follows


SAFETY_REASONS = frozenset({"pain", "safety_check"})
"""Stop reasons that are safety stops."""
SESSION_END = {"user": "stopped"}
"""A stop's reason -> how the session it ends is recorded as ended (else the same word)."""
ORDER = {"stop": 0, "skip": 1, "session": 2}
"""Rows recorded at the same moment: the stop first, the session end last."""


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows for the days ``first`` to ``last``."""

    first: dt.date
    last: dt.date
    days: tuple[Day, ...]
    ratings: tuple[queries.RatingRow, ...]
    changes: tuple[queries.ChangeRow, ...]
    stops: tuple[Stop, ...]
    per_exercise: dict[str, tuple[int, int, int]]
    """exercise id -> (repetitions or seconds done, sets done, sets planned)."""
    reminders: dict[str, int] = field(default_factory=dict)
    """How many reminders had each outcome (fired, snoozed, started, skipped, missed ...)."""
    safety: tuple[queries.SafetyRow, ...] = ()
    """Every safety answer, in the order given."""
    since: dict[str, dt.date] = field(default_factory=dict)
    """exercise id -> the day its current dose or level began (its last change, else the first
    session that planned it)."""

    def pain_by_exercise(self) -> dict[str, tuple[int, int, float]]:
        """exercise id -> (number of pain ratings, highest, mean)."""
        values: dict[str, list[int]] = defaultdict(list)
        for r in self.ratings:
            if r.kind == "pain":
                values[r.exercise_id].append(r.value)
        return {ex: (len(v), max(v), sum(v) / len(v)) for ex, v in values.items()}

    def safety_by_session(self) -> list[tuple[int, list[queries.SafetyRow]]]:
        """(session id, its safety answers), sessions in the order they were held."""
        grouped: dict[int, list[queries.SafetyRow]] = {}
        for row in self.safety:
            grouped.setdefault(row.session_id, []).append(row)
        return list(grouped.items())

    def stop_events(self) -> int:
        """Stops, skips and early ends, each event once."""
        return sum(1 for x in self.stops if x.counted)

    def safety_stops(self) -> int:
        """Safety stops, each event once (not again as the session end it caused)."""
        return sum(1 for x in self.stops if x.counted and x.safety)

    def count(self, status: str) -> int:
        """How many days had this adherence status."""
        return sum(1 for d in self.days if d.status == status)

    @property
    def adherence(self) -> float | None:
        """Share of counted days (after practice began) that were done or partly done."""
        counted = [d for d in self.days if d.status != NOT_STARTED]
        if not counted:
            return None
        return sum(1 for d in counted if d.status != MISSED) / len(counted)


Planned = tuple[str, int, int]
"""(exercise id, sets, reps or seconds) planned in a session."""


def planned(conn: sqlite3.Connection, first: dt.date, last: dt.date) -> dict[int, list[Planned]]:
    """session id -> [(exercise id, sets, reps)] planned, for sessions in [first, last]."""
    out: dict[int, list[Planned]] = defaultdict(list)
    for sid, ex, n_sets, reps in conn.execute(
        "SELECT p.session_id, p.exercise_id, p.sets, p.reps FROM planned p JOIN sessions s "
        "ON s.id = p.session_id WHERE s.day BETWEEN ? AND ? ORDER BY p.session_id, p.position",
        (first.isoformat(), last.isoformat()),
    ):
        out[sid].append((ex, n_sets, reps))
    return out


def first_day(conn: sqlite3.Connection) -> dt.date | None:
    """The day of the first session ever recorded."""
    row = conn.execute("SELECT min(day) FROM sessions").fetchone()
    return dt.date.fromisoformat(row[0]) if row and row[0] else None


def first_recorded(conn: sqlite3.Connection) -> dt.date | None:
    """The first day anything was recorded: a session or a reminder."""
    row = conn.execute(
        "SELECT min(day) FROM (SELECT min(day) AS day FROM sessions "
        "UNION ALL SELECT min(day) FROM reminders)"
    ).fetchone()
    return dt.date.fromisoformat(row[0]) if row and row[0] else None


def window(first: dt.date, last: dt.date, begun: dt.date | None) -> dt.date:
    """The report's first day: ``first``, or the first recorded day if later (the days before
    it hold nothing); ``last`` alone when nothing was recorded by then."""
    if begun is None or begun > last:
        return last
    return max(first, begun)


def since(conn: sqlite3.Connection, last: dt.date) -> dict[str, dt.date]:
    """exercise id -> the day its dose or level last changed by ``last``, else the first day a
    session planned it."""
    out = {
        ex: dt.date.fromisoformat(day)
        for ex, day in conn.execute(
            "SELECT p.exercise_id, min(s.day) FROM planned p JOIN sessions s "
            "ON s.id = p.session_id WHERE s.day <= ? GROUP BY p.exercise_id",
            (last.isoformat(),),
        )
    }
    for ex, day in conn.execute(
        "SELECT exercise_id, max(day) FROM changes WHERE day <= ? AND exercise_id != '' "
        "GROUP BY exercise_id",
        (last.isoformat(),),
    ):
        out[ex] = dt.date.fromisoformat(day)
    return out


def _pain_at(
    ratings: list[queries.RatingRow], session_id: int, at: str, exercise_id: str
) -> int | None:
    """The last pain rating of a session given at or before ``at`` (that exercise first)."""
    before = [r for r in ratings if r.kind == "pain" and r.session_id == session_id and r.at <= at]
    same = [r for r in before if r.exercise_id == exercise_id]
    chosen = same or before
    return chosen[-1].value if chosen else None


def _events(
    stops: list[queries.EventRow],
    skips: list[queries.EventRow],
    sessions: list[queries.SessionRow],
    sets: list[queries.SetRow],
    ratings: list[queries.RatingRow],
) -> list[Stop]:
    """Every stop, skip and early session end in time order, each row after the first of one
    event marked ``follows``."""
    rows = [
        Stop(e.at, e.day, what, e.exercise_id, e.reason,
             _pain_at(ratings, e.session_id, e.at, e.exercise_id), e.session_id)
        for what, found in (("stop", stops), ("skip", skips))
        for e in found
    ]  # fmt: skip
    rows += [
        Stop(s.ended_at or s.started_at, s.day, "session", "", s.how or UNFINISHED,
             _pain_at(ratings, s.id, s.ended_at or "9999", ""), s.id)
        for s in sessions
        if s.how != Outcome.COMPLETED
    ]  # fmt: skip
    rows.sort(key=lambda x: (x.day, x.at, ORDER[x.what]))
    out: list[Stop] = []
    last: dict[int, Stop] = {}  # session id -> its row before
    first: dict[int, int] = {}  # session id -> where in ``out`` its last event begins
    for x in rows:
        before = last.get(x.session_id)
        if before is not None and _same_event(before, x, sets):
            x = replace(x, follows=True)
            n = first[x.session_id]
            if out[n].pain is None:  # the rating asked for after "it hurts" belongs to it
                out[n] = replace(out[n], pain=x.pain)
        else:
            first[x.session_id] = len(out)
        out.append(x)
        last[x.session_id] = x
    return out


def _same_event(before: Stop, x: Stop, sets: list[queries.SetRow]) -> bool:
    """Whether ``x`` only follows from ``before`` (same session, nothing done in between): an
    exercise stopped then skipped or stopped again, or the session ended by that stop."""
    if before.what == "session":
        return False
    if x.what == "session":
        if x.reason != SESSION_END.get(before.reason, before.reason):
            return False
    elif (x.reason, x.exercise_id) != (before.reason, before.exercise_id):
        return False
    return not any(
        r.session_id == x.session_id and before.at < r.at <= x.at and r.completed for r in sets
    )


def _timed(exercise_id: str) -> bool:
    ex = library.BY_ID.get(exercise_id)
    return ex is not None and ex.kind is library.Kind.TIMED


def _status(
    sessions: list[queries.SessionRow], done: dict[int, int], plans: dict[int, list[Planned]]
) -> str:
    """Done if one session was completed with every planned set; partly if any practice."""
    if all(s.how == Outcome.SKIPPED for s in sessions):  # none, or every exercise skipped
        return MISSED
    for s in sessions:
        wanted = sum(n_sets for _, n_sets, _ in plans[s.id])
        if s.how == Outcome.COMPLETED and wanted and done[s.id] >= wanted:
            return DONE
    return PARTLY


def gather(conn: sqlite3.Connection, first: dt.date, last: dt.date) -> ReportData:
    """The report's numbers for the days ``first`` to ``last`` (inclusive), starting no earlier
    than the first recorded day (so its size does not grow with empty days before it)."""
    first = window(first, last, first_recorded(conn))
    sessions = queries.sessions(conn, first, last)
    sets = queries.sets(conn, first, last)
    ratings = queries.ratings(conn, first, last)
    plans = planned(conn, first, last)
    stops = queries.stops(conn, first, last)
    skips = queries.skips(conn, first, last)
    start = first_day(conn)

    by_day: dict[dt.date, list[queries.SessionRow]] = defaultdict(list)
    for s in sessions:
        by_day[s.day].append(s)
    reps: dict[dt.date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    secs: dict[dt.date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    done_sets: dict[dt.date, int] = defaultdict(int)
    done_by_session: dict[int, int] = defaultdict(int)
    for row in sets:
        (secs if _timed(row.exercise_id) else reps)[row.day][row.exercise_id] += row.done
        totals[row.exercise_id][0] += row.done
        if row.completed and row.done >= row.planned:
            done_sets[row.day] += 1
            done_by_session[row.session_id] += 1
            totals[row.exercise_id][1] += 1
    planned_sets: dict[dt.date, int] = defaultdict(int)
    for s in sessions:
        for ex, n_sets, _ in plans[s.id]:
            planned_sets[s.day] += n_sets
            totals[ex][2] += n_sets
    pain: dict[dt.date, int] = {}
    effort: dict[dt.date, int] = {}
    for r in ratings:
        target = pain if r.kind == "pain" else effort
        target[r.day] = max(target.get(r.day, 0), r.value)
    events = _events(stops, skips, sessions, sets, ratings)
    stop_count: dict[dt.date, int] = defaultdict(int)
    for x in events:
        if x.what == "stop" and x.counted:
            stop_count[x.day] += 1

    days = []
    for n in range((last - first).days + 1):  # never a day past ``last`` (9999-12-31 is valid)
        d = first + dt.timedelta(days=n)
        status = _status(by_day[d], done_by_session, plans)
        if status == MISSED and (start is None or d < start):
            status = NOT_STARTED
        days.append(
            Day(
                day=d,
                status=status,
                sessions=len(by_day[d]),
                reps=dict(reps[d]),
                seconds=dict(secs[d]),
                sets_done=done_sets[d],
                sets_planned=planned_sets[d],
                max_pain=pain.get(d),
                max_effort=effort.get(d),
                stops=stop_count[d],
            )
        )

    return ReportData(
        first=first,
        last=last,
        days=tuple(days),
        ratings=tuple(ratings),
        changes=tuple(queries.changes(conn, first, last)),
        stops=tuple(events),
        per_exercise={k: (v[0], v[1], v[2]) for k, v in totals.items()},
        reminders=dict(Counter(m.outcome for m in queries.reminders(conn, first, last))),
        safety=tuple(queries.safety_answers(conn, first, last)),
        since=since(conn, last),
    )
