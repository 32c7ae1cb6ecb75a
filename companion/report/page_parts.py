"""The report page's parts in HTML: tables, chart figures, safety answers, the prescription."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from html import escape

from companion import library
from companion.history.queries import SafetyRow
from companion.history.safety_words import at_reminder, brief
from companion.plurals import plural
from companion.report.contents import ReportData
from companion.routine import Routine
from companion.screen import pictures


def as_json(value: object) -> str:
    return escape(json.dumps(value, sort_keys=True), quote=True)


def table(
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


def figure(name: str, svg: str, values: object, caption: str) -> str:
    return (
        f'<figure data-chart="{name}" data-values="{as_json(values)}">{svg}'
        f"<figcaption>{escape(caption)}</figcaption></figure>"
    )


def safety_table(data: ReportData) -> str:
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
    for e in data.at_reminders:  # at a reminder or on the screen: no session, alarming
        when = escape(e.at.replace("T", " ")[:16]) + f" ({escape(e.place)})"
        said = f'<span class="alarm">{escape(at_reminder(e))}</span>'
        rows.append(f'<tr class="alarm-row"><td>{when}</td><td>{said}</td></tr>')
    if not rows:
        rows.append('<tr><td colspan="2" class="muted">none recorded</td></tr>')
    return (
        '<table id="safety-table"><thead><tr><th>Session</th><th>Safety answers</th></tr>'
        f"</thead><tbody>{''.join(rows)}</tbody></table>"
    )


def optional(v: int | None) -> object:
    return "" if v is None else v


def prescription(
    data: ReportData, r: Routine, name_of: Callable[[str], str], timed: Callable[[str], bool]
) -> str:
    """The routine as prescribed now: a picture, level, dose and since when, per exercise."""
    rows = []
    for e in r.exercises:
        name = name_of(e.id)
        unit = "seconds each way" if timed(e.id) else "repetitions"
        sets, reps = data.dose.get(e.id, (e.sets, e.reps))  # in effect, not the file's
        dose = f"{plural(sets, 'set')} of {reps} {unit}, rest {e.rest_seconds} s"
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
