"""What every page of the screen shares: the ``Screen`` it serves, the templates and the
session's buttons, ``render``, the checked form (CSRF) and plain whole numbers. The pages
(``app``, ``caregiver``, ``downloads``, ``pair_page``) import it; it imports none of them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.templating import Jinja2Templates

from companion.commands import Command
from companion.paths import Paths
from companion.screen import guard, pictures
from companion.screen.live import Live
from companion.screen.pairing import Pairing
from companion.screen.reminder_state import ReminderWatch

HERE = Path(__file__).parent
BUTTONS: tuple[tuple[Command, str], ...] = (
    (Command.START, "Start"),
    (Command.RESUME, "Continue"),
    (Command.DONE, "Done"),
    (Command.PAUSE, "Pause"),
    (Command.NEXT, "Next"),
    (Command.REPEAT, "Repeat"),
    (Command.SLOWER, "Slower"),
    (Command.END, "Finish for today"),
)
"""The session's buttons, shown when the session listens for them."""
ANSWERS: tuple[tuple[Command, str], ...] = ((Command.YES, "Yes"), (Command.NO, "No"))
ALWAYS = ((Command.STOP, "Stop"), (Command.HURTS, "It hurts"))
"""Always on screen, whatever the session is doing."""
PAIN_WORDS = {0: "No pain", 2: "A little", 4: "Some", 6: "Quite bad", 8: "Very bad", 10: "Worst"}
EFFORT_WORDS = {0: "Nothing", 2: "Easy", 4: "Some effort", 6: "Hard", 8: "Very hard", 10: "Hardest"}
SessionStarter = Callable[[], str | None]
"""Starts today's session in the background; returns a message if it cannot."""


@dataclass
class Screen:
    """What the app serves: the live session state, the data folder and the run's token."""

    live: Live
    where: Paths
    token: str
    start_session: SessionStarter | None = None
    reminders: ReminderWatch | None = None
    """Shows a due or missed reminder on the page (``companion screen`` only)."""
    pairing: Pairing | None = None
    """With ``--lan``: tablets on the home network pair with a code first."""


def templates() -> Jinja2Templates:
    """The page templates (autoescaped)."""
    t = Jinja2Templates(directory=str(HERE / "templates"))
    t.env.globals.update(
        buttons=BUTTONS,
        answers=ANSWERS,
        always=ALWAYS,
        pain_words=PAIN_WORDS,
        effort_words=EFFORT_WORDS,
        face=pictures.face,
    )
    return t


def render(request: Request, name: str, status: int = 200, **values: Any) -> Response:
    """A page from its template, with the run's token for its forms."""
    screen: Screen = request.app.state.screen
    values.setdefault("message", request.query_params.get("message", ""))
    values.setdefault("session_running", screen.live.snapshot()["running"])  # Stop on every page
    return request.app.state.templates.TemplateResponse(
        request, name, {"token": screen.token, **values}, status_code=status
    )


async def checked_form(request: Request) -> dict[str, str] | Response:
    """The posted form, or a refusal when it is not from our own page (CSRF)."""
    screen: Screen = request.app.state.screen
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    given = fields.get("token") or request.headers.get("x-companion-token")
    if not guard.same_origin(request) or not guard.token_ok(given, screen.token):
        return PlainTextResponse(
            "This form did not come from the companion's own page; nothing was changed.", 403
        )
    return fields


def whole_number(text: str) -> bool:
    """Plain digits 0-9 only ("²" and other Unicode digits are not numbers to ``int``), short."""
    return text.isascii() and text.isdigit() and len(text) <= 6
