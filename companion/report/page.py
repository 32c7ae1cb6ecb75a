"""The report as one self-contained HTML page (inline SVG charts, inline CSS, no outside files)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence
from html import escape
from pathlib import Path

from companion import files, library, plan, progression
from companion.history.queries import ChangeRow, SafetyRow, brief
from companion.plurals import plural
from companion.prompts import Prompts
from companion.report import charts
from companion.report.contents import DONE, MISSED, NOT_STARTED, PARTLY, ReportData
from companion.routine import Routine
from companion.screen import pictures

CSS = """
body{font-family:"DejaVu Sans",Arial,sans-serif;margin:2em auto;max-width:62em;color:#212121;
line-height:1.4;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;border-bottom:2px solid #1565c0;
margin-top:2em}
table{border-collapse:collapse;width:100%;font-size:.9em}th,td{border:1px solid #bdbdbd;
padding:.25em .5em;text-align:left}th{background:#eceff1}td.n{text-align:right}
figure{margin:1em 0;page-break-inside:avoid}figure svg{max-width:100%;height:auto}
dl.summary{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dt{font-weight:bold}
.done{background:#c8e6c9}.partly{background:#fff9c4}.missed{background:#ffcdd2}
.muted{color:#757575}.rx td{vertical-align:middle}.rx svg{width:14em;height:auto}
.safety-stop{background:#ffe0b2;font-weight:bold}
.alarm{background:#ffcdd2;font-weight:bold;padding:0 .2em}
@media print{body{margin:0;max-width:none}h2{page-break-after:avoid}
tr{page-break-inside:avoid}}
"""

CHECK = """
(function(){
  var problems=[];
  var figs=document.querySelectorAll('figure[data-chart]');
  figs.forEach(function(f){
    var s=f.querySelector('svg');
    if(!s){problems.push('no chart in '+f.dataset.chart);return;}
    var b=s.getBoundingClientRect();
    if(!(b.width>0&&b.height>0))problems.push('empty chart '+f.dataset.chart);
  });
  Array.prototype.forEach.call(document.images,function(i){
    if(!i.complete||i.naturalWidth===0)problems.push('image not loaded');
  });
  document.body.setAttribute('data-rendered',problems.length?'error: '+problems.join('; '):'ok');
  document.body.setAttribute('data-charts',String(figs.length));
})();
"""


MARKER = '<meta name="generator" content="companion report">'
"""Sits in the head of every report: an earlier report may be replaced without ``--force``."""


def _earlier_report(path: Path, head: bytes) -> bool:
    # reports from before the marker are known by their body tag, also in the first 4 KB
    return MARKER.encode() in head or b'<body data-rendered="no">' in head


REPORT = files.OutputKind("report", _earlier_report)
"""What an earlier report looks like, for the output-path guard."""


def _json(value: object) -> str:
    return escape(json.dumps(value, sort_keys=True), quote=True)


def _table(
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    table_id: str,
    row_class: Sequence[str] | None = None,
) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = []
    for n, row in enumerate(rows):
        cells = "".join(
            f'<td class="n">{v}</td>'
            if isinstance(v, int | float)
            else f"<td>{escape(str(v))}</td>"
            for v in row
        )
        cls = f' class="{row_class[n]}"' if row_class else ""
        body.append(f"<tr{cls}>{cells}</tr>")
    if not body:
        body.append(f'<tr><td colspan="{len(headers)}" class="muted">none</td></tr>')
    rows_html = "".join(body)
    return (
        f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{rows_html}</tbody></table>'
    )


def _figure(name: str, svg: str, values: object, caption: str) -> str:
    return (
        f'<figure data-chart="{name}" data-values="{_json(values)}">{svg}'
        f"<figcaption>{escape(caption)}</figcaption></figure>"
    )


def _safety_table(data: ReportData) -> str:
    """One row per session: when, then each answer in order, any "yes" highlighted."""

    def answer(row: SafetyRow) -> str:
        text = escape(brief(row))
        return f'<span class="alarm">{text}</span>' if row.alarming else text

    rows = []
    for _, answers in data.safety_by_session():
        when = escape(answers[0].at.replace("T", " ")[:16])
        alarm = ' class="alarm-row"' if any(a.alarming for a in answers) else ""
        said = ", ".join(answer(a) for a in answers)
        rows.append(f"<tr{alarm}><td>{when}</td><td>{said}</td></tr>")
    if not rows:
        rows.append('<tr><td colspan="2" class="muted">none recorded</td></tr>')
    return (
        '<table id="safety-table"><thead><tr><th>Session</th><th>Safety answers</th></tr>'
        f"</thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _opt(v: int | None) -> object:
    return "" if v is None else v


def _prescription(
    data: ReportData, r: Routine, name_of: Callable[[str], str], timed: Callable[[str], bool]
) -> str:
    """The routine as prescribed now: a picture, level, dose and since when, per exercise."""
    rows = []
    for e in r.exercises:
        name = name_of(e.id)
        unit = "seconds each way" if timed(e.id) else "repetitions"
        dose = f"{plural(e.sets, 'set')} of {e.reps} {unit}, rest {e.rest_seconds} s"
        level = library.get(e.id).level if e.id in library.BY_ID else ""
        since = data.since.get(e.id)
        picture = pictures.svg(e.id, r.affected_side, name) if e.id in pictures.DRAW else ""
        rows.append(
            f'<tr><td>{picture}</td><td>{escape(name)}</td><td class="n">{level}</td>'
            f"<td>{escape(dose)}</td>"
            f"<td>{escape(f'{since:%d %b %Y}') if since else 'not practised yet'}</td></tr>"
        )
    if not rows:
        rows.append('<tr><td colspan="5" class="muted">no exercises</td></tr>')
    return (
        '<table id="prescription-table" class="rx"><thead><tr><th>Picture</th><th>Exercise</th>'
        "<th>Level</th><th>Dose per session</th><th>At this dose since</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


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
            if data.safety
            else "none recorded",
        ),
        (
            "Reminders",
            ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(data.reminders.items()))
            or "none recorded",
        ),
    ]
    figures = [
        _figure(
            "reps-per-day",
            charts.reps_per_day(data, name_of),
            {d.day.isoformat(): d.reps for d in data.days},
            "Repetitions done each day, by exercise (timed exercises are not included).",
        ),
        _figure(
            "per-exercise",
            charts.per_exercise(data, name_of, timed),
            {ex: v[0] for ex, v in data.per_exercise.items()},
            "Total repetitions per exercise; seconds for timed exercises.",
        ),
        _figure(
            "pain-effort",
            charts.pain_effort(data),
            {d.day.isoformat(): [d.max_pain, d.max_effort] for d in data.days},
            "Highest pain and effort rating (0-10) each day; gaps: no rating that day.",
        ),
        _figure(
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
            _opt(d.max_pain),
            _opt(d.max_effort),
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
    stop_rows = [
        (
            s.at.replace("T", " ")[:16],
            s.what,
            name_of(s.exercise_id) if s.exercise_id else "",
            reasons.get(s.reason, s.reason),
            "no rating" if s.pain is None else f"pain {s.pain}",
            "same stop as the row above" if s.follows else "safety stop" if s.safety else "",
        )
        for s in data.stops
    ]
    pain_rows = [
        (name_of(ex), n, top, f"{mean:.1f}")
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
        _prescription(data, r, name_of, timed),
        '</section><section id="summary"><h2>Summary</h2><dl class="summary">',
        *(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in summary),
        '</dl></section><section id="charts"><h2>Charts</h2>',
        *figures,
        "</section>",
        '<section id="stops"><h2>Every stop, its reason and the pain at the time</h2>',
        _table(
            ("When", "What", "Exercise", "Reason", "Pain at the time", "Safety stop"),
            stop_rows,
            "stops-table",
            ["safety-stop" if x.safety and x.counted else "" for x in data.stops],
        ),
        '</section><section id="pain-by-exercise"><h2>Pain by exercise</h2>',
        _table(("Exercise", "Pain ratings", "Highest pain", "Mean pain"), pain_rows, "pain-table"),
        '</section><section id="changes"><h2>Level and dose changes, with reasons</h2>',
        _table(("Day", "Exercise", "Change", "From", "To", "Reason"), change_rows, "changes-table"),
        '</section><section id="safety"><h2>Safety answers, by session</h2>',
        _safety_table(data),
        '</section><section id="exercises"><h2>Exercises</h2>',
        _table(("Exercise", "Measured in", "Done", "Sets done"), exercise_rows, "exercises-table"),
        '</section><section id="days"><h2>Day by day</h2>',
        _table(
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
