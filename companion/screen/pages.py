"""What every page of the screen shares: the ``Screen`` it serves, the templates and the
session's buttons, ``render``, the checked form (CSRF) and plain whole numbers. The pages
(``app``, ``caregiver``, ``downloads``, ``pair_page``) import it; it imports none of them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.templating import Jinja2Templates

from companion import prompts, routine
from companion.commands import Command
from companion.errors import CompanionError
from companion.paths import Paths
from companion.prompts import Prompts
from companion.routine import Routine
from companion.screen import guard, pictures
from companion.screen.live import Live
from companion.screen.pairing import Pairing
from companion.screen.reminder_state import ReminderWatch

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
BUTTONS = (
    Command.START,
    Command.RESUME,
    Command.DONE,
    Command.PAUSE,
    Command.NEXT,
    Command.REPEAT,
    Command.SLOWER,
    Command.END,
)
"""The session's buttons, shown when the session listens for them."""
ANSWERS = (Command.YES, Command.NO)
ALWAYS = (Command.STOP, Command.HURTS)
"""Always on screen, whatever the session is doing."""
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


def load_routine(screen: Screen) -> Routine:
    """The routine in effect (the packaged defaults if the file has a problem)."""
    try:
        return routine.load(screen.where.routine_file)
    except CompanionError as exc:
        log.warning("the routine file has a problem; the screen uses the defaults: %s", exc)
        return routine.default()


def words_of(screen: Screen) -> Prompts:
    """The wording in the routine's language (labels and messages: ui.toml [screen])."""
    return prompts.load(load_routine(screen).language)


def labels(words: Prompts) -> dict[str, Any]:
    """The buttons (command, label), the scale's words (number -> word) and the session page's
    own words (``live_words``: its template's, and its script's from a data attribute)."""

    def buttons(commands: tuple[Command, ...]) -> tuple[tuple[Command, str], ...]:
        return tuple((c, words.text(f"ui.screen.buttons.{c.value}")) for c in commands)

    def scale(kind: str) -> dict[int, str]:
        return {int(n): str(w) for n, w in words.raw(f"ui.screen.{kind}").items()}

    return {
        "buttons": buttons(BUTTONS),
        "answers": buttons(ANSWERS),
        "always": buttons(ALWAYS),
        "pain_words": scale("pain"),
        "effort_words": scale("effort"),
        "live_words": {str(k): str(v) for k, v in words.raw("ui.screen.live").items()},
    }


def templates() -> Jinja2Templates:
    """The page templates (autoescaped)."""
    t = Jinja2Templates(directory=str(HERE / "templates"))
    t.env.globals.update(face=pictures.face)
    return t


def render(request: Request, name: str, status: int = 200, **values: Any) -> Response:
    """A page from its template, with the run's token for its forms and the labels in the
    routine's language."""
    screen: Screen = request.app.state.screen
    values = {**labels(words_of(screen)), **values}
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
        return PlainTextResponse(words_of(screen).text("ui.screen.not_our_form"), 403)
    return fields


def whole_number(text: str) -> bool:
    """Plain digits 0-9 only ("²" and other Unicode digits are not numbers to ``int``), short."""
    return text.isascii() and text.isdigit() and len(text) <= 6
