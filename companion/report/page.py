"""The report as one self-contained HTML page (inline SVG charts, inline CSS, no outside files).

Its style and self-check script are in ``page_assets``; its tables and figures in ``page_parts``.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from pathlib import Path

from companion import files, library, plan, progression
from companion.history.queries import ChangeRow
from companion.plurals import plural
from companion.prompts import Prompts
from companion.report import charts
from companion.report.contents import DONE, MISSED, NOT_STARTED, PARTLY, ReportData
from companion.report.page_assets import CHECK, CSS
from companion.report.page_parts import figure, optional, prescription, safety_table, table
from companion.routine import Routine

MARKER = '<meta name="generator" content="companion report">'
"""Sits in the head of every report: an earlier report may be replaced without ``--force``."""


def _outside_sessions(data: ReportData) -> tuple[tuple[str, int], ...]:
    """How many safety events with no session running: at reminders, then on the screen."""
    places = [e.place for e in data.at_reminders]
    return (("at reminders", places.count("reminder")), ("on the screen", places.count("screen")))


def _earlier_report(path: Path, head: bytes) -> bool:
    # reports from before the marker are known by their body tag, also in the first 4 KB
    return MARKER.encode() in head or b'<body data-rendered="no">' in head


REPORT = files.OutputKind("report", _earlier_report)
"""What an earlier report looks like, for the output-path guard."""


def render(data: ReportData, r: Routine, words: Prompts, now: dt.datetime) -> str:
    """The whole page for ``data``; ``now`` is when it was made (shown in the header)."""

    def name_of(ex: str) -> str:
        return words.exercise(ex).name if ex in library.BY_ID else ex

    def timed(ex: str) -> bool:
        return ex in library.BY_ID and library.get(ex).kind is library.Kind.TIMED

    def reason(c: ChangeRow) -> str:
        change = plan.Change(c.exercise_id, c.kind, c.old, c.new, c.rule)
        try:
            return progression.describe(change, words, r.progression.days_needed)
        except KeyError:
            return c.rule

    reasons: dict[str, str] = words.tables.get("report", {}).get("reasons", {})
    total = sum(d.total_reps for d in data.days)
    sessions = sum(d.sessions for d in data.days)
    pains = [x.value for x in data.ratings if x.kind == "pain"]
    efforts = [x.value for x in data.ratings if x.kind == "effort"]
    adherence = "no days yet" if data.adherence is None else f"{data.adherence:.0%}"
    checked = len(data.safety_by_session())
    summary = [
        (
            "Days",
            f"{plural(len(data.days), 'day')} ({data.first:%d %b %Y} to {data.last:%d %b %Y})",
        ),
        (
            "Done / partly / missed",
            f"{data.count(DONE)} / {data.count(PARTLY)} / {data.count(MISSED)}",
        ),
        ("Days with practice, since the first session", adherence),
        ("Sessions", str(sessions)),
        ("Repetitions (counted exercises)", str(total)),
        (
            "Pain (0-10)",
            f"highest {max(pains)}, from {plural(len(pains), 'pain rating')}" if pains else "none",
        ),
        (
            "Effort (0-10)",
            f"highest {max(efforts)}, from {plural(len(efforts), 'effort rating')}"
            if efforts
            else "none",
        ),
        (
            "Stops and skips",
            f"{data.stop_events()}, of which {plural(data.safety_stops(), 'safety stop')} "
            "(pain or a safety answer)",
        ),
        (
            "Safety answers",
            f"{plural(checked, 'session')} checked, "
            f"{sum(1 for a in data.safety if a.alarming)} needing attention"
            + "".join(
                f"; {plural(n, 'safety event')} {where}"
                for where, n in _outside_sessions(data)
                if n
            )
            if data.safety or data.at_reminders
            else "none recorded",
        ),
        (
            "Reminders",
            ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(data.reminders.items()))
            or "none recorded",
        ),
    ]
    figures = [
        figure(
            "reps-per-day",
            charts.reps_per_day(data, name_of),
            {d.day.isoformat(): d.reps for d in data.days},
            "Repetitions done each day, by exercise (timed exercises are not included).",
        ),
        figure(
            "per-exercise",
            charts.per_exercise(data, name_of, timed),
            {ex: v[0] for ex, v in data.per_exercise.items()},
            "Total repetitions per exercise; seconds for timed exercises.",
        ),
        figure(
            "pain-effort",
            charts.pain_effort(data),
            {d.day.isoformat(): [d.max_pain, d.max_effort] for d in data.days},
            "Highest pain and effort rating (0-10) each day; gaps: no rating that day.",
        ),
        figure(
            "calendar",
            charts.calendar(data),
            {d.day.isoformat(): d.status for d in data.days},
            "Done: every planned set in a completed session. Partly: some practice. "
            "Missed: no session. Grey: before the first session.",
        ),
    ]
    day_rows = [
        (f"{d.day:%a %d %b %Y}", "not started (before the first session)", *[""] * 7)
        if d.status == NOT_STARTED
        else (
            f"{d.day:%a %d %b %Y}",
            d.status,
            d.sessions,
            d.total_reps,
            sum(d.seconds.values()),
            f"{d.sets_done} of {d.sets_planned}" if d.sets_planned else "",
            optional(d.max_pain),
            optional(d.max_effort),
            d.stops,
        )
        for d in data.days
    ]
    exercise_rows = [
        (name_of(ex), "seconds" if timed(ex) else "repetitions", v[0], f"{v[1]} of {v[2]}")
        for ex, v in ((e, data.per_exercise[e]) for e in charts.programme_order(data.per_exercise))
    ]
    change_rows = [
        (
            f"{c.day:%d %b %Y}",
            name_of(c.exercise_id) if c.exercise_id else "programme",
            c.kind,
            c.old,
            c.new,
            reason(c),
        )
        for c in data.changes
    ]
    at_questions = "at the safety questions"
    stop_rows = [
        (
            s.at.replace("T", " ")[:16],
            "it hurts" if s.at_questions else s.what,
            name_of(s.exercise_id) if s.exercise_id else at_questions if s.at_questions else "",
            reasons.get(s.reason, s.reason),
            "no rating" if s.pain is None else f"pain {s.pain}",
            "same stop as the row above" if s.follows else "safety stop" if s.safety else "",
        )
        for s in data.stops
    ]
    pain_rows = [
        (name_of(ex) if ex else at_questions, n, top, f"{mean:.1f}")
        for ex, (n, top, mean) in (
            (e, data.pain_by_exercise()[e]) for e in charts.programme_order(data.pain_by_exercise())
        )
    ]
    who = escape(r.name) if r.name else "Hand exercise report"
    parts = [
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        MARKER,
        f"<title>{who}: {data.first:%d %b} to {data.last:%d %b %Y}</title>",
        f'<style>{CSS}</style></head><body data-rendered="no">',
        f"<header><h1>{who}</h1><p>Home hand exercises. Affected hand: "
        f"{escape(r.affected_side)}. Report made {now:%d %b %Y %H:%M}.</p></header>",
        '<section id="prescription"><h2>Prescription</h2>',
        prescription(data, r, name_of, timed),
        '</section><section id="summary"><h2>Summary</h2><dl class="summary">',
        *(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in summary),
        '</dl></section><section id="charts"><h2>Charts</h2>',
        *figures,
        "</section>",
        '<section id="stops"><h2>Every stop, its reason and the pain at the time</h2>',
        table(
            ("When", "What", "Exercise", "Reason", "Pain at the time", "Safety stop"),
            stop_rows,
            "stops-table",
            ["safety-stop" if x.safety and x.counted else "" for x in data.stops],
        ),
        '</section><section id="pain-by-exercise"><h2>Pain by exercise</h2>',
        table(("Exercise", "Pain ratings", "Highest pain", "Mean pain"), pain_rows, "pain-table"),
        '</section><section id="changes"><h2>Level and dose changes, with reasons</h2>',
        table(("Day", "Exercise", "Change", "From", "To", "Reason"), change_rows, "changes-table"),
        '</section><section id="safety"><h2>Safety answers, by session</h2>',
        safety_table(data),
        '</section><section id="exercises"><h2>Exercises</h2>',
        table(("Exercise", "Measured in", "Done", "Sets done"), exercise_rows, "exercises-table"),
        '</section><section id="days"><h2>Day by day</h2>',
        table(
            (
                "Day",
                "Status",
                "Sessions",
                "Repetitions",
                "Seconds",
                "Sets",
                "Pain",
                "Effort",
                "Stops",
            ),
            day_rows,
            "days-table",
            [d.status.replace(" ", "-") for d in data.days],
        ),
        f"</section><script>{CHECK}</script></body></html>",
    ]
    return "\n".join(parts)
