"""The report's stops, skips and early session ends, one row each, grouped into events."""

from __future__ import annotations

from dataclasses import replace

from companion.history import queries
from companion.records import UNFINISHED, Outcome, Reason
from companion.report.contents import Stop

SESSION_END = {"user": "stopped"}
"""A stop's reason -> how the session it ends is recorded as ended (else the same word)."""
ORDER = {"stop": 0, "skip": 1, "session": 2}
"""Rows recorded at the same moment: the stop first, the session end last."""


def _pain_at(
    ratings: list[queries.RatingRow], session_id: int, at: str, exercise_id: str
) -> int | None:
    """The last pain rating of a session given at or before ``at`` (that exercise first)."""
    before = [r for r in ratings if r.kind == "pain" and r.session_id == session_id and r.at <= at]
    same = [r for r in before if r.exercise_id == exercise_id]
    chosen = same or before
    return chosen[-1].value if chosen else None


def _level_given(
    ratings: list[queries.RatingRow],
    sets: list[queries.SetRow],
    stop: queries.EventRow,
) -> int | None:
    """The pain level given in answer to a stop for pain ("How bad is the pain?" follows "it
    hurts"): that session's first pain rating of that exercise at or after the stop, before
    any later set (a rating after one belongs to that set)."""
    later = [x.at for x in sets if x.session_id == stop.session_id and x.at > stop.at]
    until = min(later, default="9999")
    after = [
        r
        for r in ratings
        if r.kind == "pain"
        and r.session_id == stop.session_id
        and r.exercise_id == stop.exercise_id
        and stop.at <= r.at < until
    ]
    return min(after, key=lambda r: r.at).value if after else None


def _pain(
    ratings: list[queries.RatingRow], sets: list[queries.SetRow], e: queries.EventRow
) -> int | None:
    """The pain shown with a stop or skip: for pain, the level given in answer to it."""
    given = _level_given(ratings, sets, e) if e.reason == Reason.PAIN else None
    return given if given is not None else _pain_at(ratings, e.session_id, e.at, e.exercise_id)


def stop_events(
    stops: list[queries.EventRow],
    skips: list[queries.EventRow],
    sessions: list[queries.SessionRow],
    sets: list[queries.SetRow],
    ratings: list[queries.RatingRow],
) -> list[Stop]:
    """Every stop, skip and early session end in time order, each row after the first of one
    event marked ``follows``."""
    rows = [
        Stop(e.at, e.day, what, e.exercise_id, e.reason, _pain(ratings, sets, e), e.session_id)
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
