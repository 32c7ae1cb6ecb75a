"""The exercise pictures with their names and steps: a page of the screen and a file on its own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2

from companion import files, library
from companion.prompts import Prompts
from companion.routine import Routine
from companion.screen import pictures

HERE = Path(__file__).parent
MARKER = b'<meta name="generator" content="companion exercises">'
"""In the head of every exercises page: an earlier one may be replaced without ``--force``."""
PAGE = files.OutputKind("exercises page", lambda _path, head: MARKER in head)


def items(r: Routine, words: Prompts, side: str = "") -> list[dict[str, Any]]:
    """Every exercise by level: name, steps, safety line, equipment and its drawing."""
    side = side if side in ("left", "right") else r.affected_side
    other = "right" if side == "left" else "left"
    out = []
    for ex in library.LIBRARY:
        w = words.exercise(ex.id, hand=f"your {side} hand", other=f"your {other} hand")
        out.append(
            {
                "id": ex.id,
                "name": w.name,
                "level": ex.level,
                "steps": w.steps,
                "safety": w.safety,
                "equipment": ", ".join(words.equipment(i) for i in ex.equipment),
                "svg": pictures.svg(ex.id, side, w.name),
                "in_routine": any(e.id == ex.id for e in r.exercises),
                "side": side,
            }
        )
    return out


def standalone(r: Routine, words: Prompts) -> str:
    """A self-contained HTML page of the exercises (``companion exercises --html``)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(HERE / "templates")), autoescape=True
    )
    css = (HERE / "static" / "screen.css").read_text(encoding="utf-8")
    return env.get_template("catalogue.html").render(items=items(r, words), css=css)
