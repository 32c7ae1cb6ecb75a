"""The report's charts, drawn with matplotlib (no GUI backend) as inline SVG with real text."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable, Iterable
from typing import Any

import matplotlib
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from companion import library
from companion.report.contents import DONE, MISSED, NOT_STARTED, PARTLY, ReportData

matplotlib.use("Agg")  # never a window, even if pyplot gets imported elsewhere

STATUS_COLOURS = {DONE: "#2e7d32", PARTLY: "#f9a825", MISSED: "#c62828", NOT_STARTED: "#e0e0e0"}
"""Adherence colours (also told apart by the day's label: the legend names them)."""
PALETTE = (
    "#1565c0",
    "#ef6c00",
    "#6a1b9a",
    "#00838f",
    "#ad1457",
    "#558b2f",
    "#4e342e",
    "#283593",
    "#9e9d24",
)


def colour_of(exercise_id: str) -> str:
    """The same colour for an exercise in every chart (by its place in the library)."""
    ids = list(library.BY_ID)
    n = ids.index(exercise_id) if exercise_id in ids else len(ids)
    return PALETTE[n % len(PALETTE)]


def programme_order(ids: Iterable[str]) -> list[str]:
    """Exercise ids in library order (unknown ids last, by name)."""
    order = {e: n for n, e in enumerate(library.BY_ID)}
    return sorted(ids, key=lambda e: (order.get(e, len(order)), e))


RC: dict[Any, Any] = {"svg.fonttype": "none", "svg.hashsalt": "companion-report", "font.size": 9}

Namer = Callable[[str], str]


def to_svg(fig: Figure, name: str) -> str:
    """The figure as an ``<svg>`` element, its ids prefixed with ``name`` (unique in a page)."""
    buf = io.StringIO()
    with matplotlib.rc_context(RC):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{name}-{m.group(1)}"', text)
    text = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{name}-{m.group(1)})", text)
    return re.sub(r'href="#([^"]+)"', lambda m: f'href="#{name}-{m.group(1)}"', text)


def _figure(width: float, height: float) -> Figure:
    with matplotlib.rc_context(RC):
        return Figure(figsize=(width, height), dpi=96, layout="constrained")


def _label_every(n_days: int) -> int:
    return 1 if n_days <= 14 else 2 if n_days <= 31 else 7


def reps_per_day(data: ReportData, name_of: Namer) -> str:
    """Stacked bars: repetitions of each counted exercise per day, the total written on top."""
    with matplotlib.rc_context(RC):
        fig = _figure(9, 3.4)
        ax = fig.add_subplot()
        x = list(range(len(data.days)))
        exercises = programme_order({ex for d in data.days for ex in d.reps})
        bottom = [0] * len(x)
        for ex in exercises:
            values = [d.reps.get(ex, 0) for d in data.days]
            ax.bar(x, values, bottom=bottom, color=colour_of(ex), label=name_of(ex))
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        for i, total in enumerate(bottom):
            if total:
                ax.text(i, total, str(total), ha="center", va="bottom", fontsize=7, gid=f"t{i}")
        step = _label_every(len(x))
        ax.set_xticks(
            x[::step], [d.day.strftime("%d %b") for d in data.days][::step], rotation=60, ha="right"
        )
        ax.set_xlim(-0.6, max(len(x), 1) - 0.4)
        ax.set_ylabel("repetitions")
        ax.set_title("Repetitions per day")
        ax.set_ylim(0, max([*bottom, 1]) * 1.15)
        if exercises:
            ax.legend(loc="upper left", fontsize=7, ncols=min(3, len(exercises)))
        ax.spines[["top", "right"]].set_visible(False)
        return to_svg(fig, "reps-per-day")


def per_exercise(data: ReportData, name_of: Namer, is_timed: Callable[[str], bool]) -> str:
    """Horizontal bars: total repetitions (or seconds) per exercise over the period."""
    with matplotlib.rc_context(RC):
        items = [(ex, data.per_exercise[ex]) for ex in programme_order(data.per_exercise)]
        fig = _figure(9, 0.5 + 0.45 * max(1, len(items)))
        ax = fig.add_subplot()
        labels = [name_of(ex) + (" (seconds)" if is_timed(ex) else "") for ex, _ in items]
        values = [v[0] for _, v in items]
        y = list(range(len(items)))
        ax.barh(y, values, color=[colour_of(ex) for ex, _ in items])
        for i, v in enumerate(values):
            ax.text(v, i, f" {v}", va="center", fontsize=8)
        ax.set_yticks(y, labels)
        ax.invert_yaxis()
        ax.set_xlim(0, max([*values, 1]) * 1.15)
        ax.set_title("Repetitions per exercise (seconds for timed exercises)")
        ax.spines[["top", "right"]].set_visible(False)
        return to_svg(fig, "per-exercise")


def pain_effort(data: ReportData) -> str:
    """Lines: the highest pain and effort rating (0-10) of each day; gaps where none was given."""
    with matplotlib.rc_context(RC):
        fig = _figure(9, 3.2)
        ax = fig.add_subplot()
        x = list(range(len(data.days)))
        # effort first, as hollow squares a little to the left; pain last (on top), as filled
        # dots a little to the right: a day with equal pain and effort shows both
        for attr, label, colour, marker, shift, fill, z in (
            ("max_effort", "effort (hollow squares)", "#1565c0", "s", -0.15, "white", 2),
            ("max_pain", "pain (filled dots, drawn on top)", "#c62828", "o", 0.15, "#c62828", 3),
        ):
            values = [getattr(d, attr) for d in data.days]
            ys = [float("nan") if v is None else v for v in values]
            (line,) = ax.plot(
                [i + shift for i in x],
                ys,
                marker=marker,
                color=colour,
                markerfacecolor=fill,
                markersize=6,
                label=label,
                linewidth=1.5,
                zorder=z,
            )
            line.set_gid(attr.replace("max_", ""))
        ax.axhspan(5, 10, color="#fff3e0", zorder=0)
        ax.set_xlim(-0.6, max(len(x), 1) - 0.4)
        ax.text(-0.5, 9.6, "5 or more: lower the dose", fontsize=7, color="#bf360c", va="top")
        step = _label_every(len(x))
        ax.set_xticks(
            x[::step], [d.day.strftime("%d %b") for d in data.days][::step], rotation=60, ha="right"
        )
        ax.set_ylim(-0.3, 10.3)
        ax.set_yticks(range(0, 11, 2))
        ax.set_ylabel("rating 0-10")
        ax.set_title("Pain and effort over time")
        ax.legend(loc="upper right", fontsize=7)
        ax.spines[["top", "right"]].set_visible(False)
        return to_svg(fig, "pain-effort")


def calendar(data: ReportData) -> str:
    """A calendar, one row per week (Monday first): each day coloured done, partly or missed."""
    with matplotlib.rc_context(RC):
        start = data.first - dt.timedelta(days=data.first.weekday())
        weeks = (data.last - start).days // 7 + 1
        fig = _figure(6, 0.9 + 0.5 * weeks)
        ax = fig.add_subplot()
        for d in data.days:
            row, col = (d.day - start).days // 7, d.day.weekday()
            cell = Rectangle(
                (col, row), 0.92, 0.92, facecolor=STATUS_COLOURS[d.status], edgecolor="white"
            )
            cell.set_gid(f"day-{d.day.isoformat()}")
            ax.add_patch(cell)
            ink = "black" if d.status in (PARTLY, NOT_STARTED) else "white"
            ax.text(
                col + 0.46,
                row + 0.46,
                d.day.strftime("%d"),
                ha="center",
                va="center",
                fontsize=8,
                color=ink,
            )
        ax.set_xlim(-0.1, 7)
        ax.set_ylim(weeks, -0.1)
        ax.set_xticks(
            [c + 0.46 for c in range(7)], ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        )
        ax.xaxis.tick_top()
        ax.set_yticks(
            [r + 0.46 for r in range(weeks)],
            [(start + dt.timedelta(weeks=r)).strftime("%d %b") for r in range(weeks)],
        )
        ax.tick_params(length=0)
        for side in ax.spines.values():
            side.set_visible(False)
        ax.legend(
            handles=[Patch(color=c, label=s) for s, c in STATUS_COLOURS.items()],
            loc="upper center",
            bbox_to_anchor=(0.5, -0.02),
            ncols=4,
            fontsize=7,
            frameon=False,
        )
        ax.set_title("Adherence calendar", pad=18)
        return to_svg(fig, "calendar")
