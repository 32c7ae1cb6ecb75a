"""The web app: the session page, its live updates (Server-Sent Events) and its buttons."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from companion import prompts, routine
from companion.commands import Command
from companion.errors import CompanionError
from companion.paths import Paths
from companion.reminders import page_answer
from companion.routine import Routine
from companion.screen import catalogue, guard, pictures
from companion.screen.live import Live
from companion.screen.pairing import Pairing
from companion.screen.reminder_state import ReminderWatch

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
HEARTBEAT_S = 15.0
"""A comment line this often keeps an idle event stream open."""

BUTTONS: tuple[tuple[Command, str], ...] = (
    (Command.START, "Start"),
    (Command.RESUME, "Continue"),
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


def _answer(request: Request, message: str, status: int = 200) -> Response:
    """A button's answer: JSON for the page's script, else back to the page (plain HTML)."""
    if request.headers.get("x-companion-token"):
        return JSONResponse({"message": message}, status_code=status)
    if status >= 400:
        return render(
            request, "session.html", status=status, state=_state(request), message=message
        )
    target = "/" + (f"?message={message}" if message else "")
    return RedirectResponse(target, status_code=303)


def _state(request: Request) -> dict[str, Any]:
    screen: Screen = request.app.state.screen
    return screen.live.snapshot()


async def session_page(request: Request) -> Response:
    return render(request, "session.html", state=_state(request))


async def state(request: Request) -> Response:
    return JSONResponse(_state(request))


async def events(request: Request) -> Response:
    """Server-Sent Events: the state now, then every change as it happens."""
    screen: Screen = request.app.state.screen

    async def stream() -> AsyncIterator[str]:
        with screen.live.subscribe() as q:
            yield f"data: {json.dumps(screen.live.snapshot())}\n\n"
            while True:
                try:
                    snapshot = await asyncio.wait_for(q.get(), HEARTBEAT_S)
                except TimeoutError:
                    if await request.is_disconnected():
                        return
                    yield ": still here\n\n"
                    continue
                yield f"data: {json.dumps(snapshot)}\n\n"

    headers = {"cache-control": "no-store", "x-accel-buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)


async def press(request: Request) -> Response:
    """A button: the command goes to the session's queue, like a key press."""
    form = await checked_form(request)
    if isinstance(form, Response):
        return form
    screen: Screen = request.app.state.screen
    try:
        command = Command(form.get("command", ""))
    except ValueError:
        return _answer(request, "That button is not known.", 400)
    value: int | None = None
    if command is Command.NUMBER:
        raw = form.get("value", "")
        if not whole_number(raw) or not 0 <= int(raw) <= 10:
            return _answer(request, "Choose a number from 0 to 10.", 400)
        value = int(raw)
    snapshot = screen.live.snapshot()
    if command is Command.START and not snapshot["running"] and screen.start_session:
        problem = screen.start_session()
        if not problem:
            _answer_reminder(screen, snapshot, command)
        return _answer(request, problem or "", 409 if problem else 200)
    if not screen.live.press(command, value):
        return _answer(request, "No session is running now.", 409)
    return _answer(request, "")


async def reminder_later(request: Request) -> Response:
    """The reminder's Later button: the page stops showing this reminder (a new one shows)."""
    form = await checked_form(request)
    if isinstance(form, Response):
        return form
    screen: Screen = request.app.state.screen
    _answer_reminder(screen, screen.live.snapshot(), Command.LATER)
    if screen.reminders is not None:
        screen.reminders.later()
    return _answer(request, "")


def _answer_reminder(screen: Screen, snapshot: dict[str, Any], command: Command) -> None:
    """While the daemon asks (the page shows it due), Start or Later answers it too."""
    shown = snapshot.get("reminder")
    if not shown or shown.get("kind") != "due":
        return
    try:
        page_answer.write(screen.where.data_dir, command, dt.datetime.now(dt.timezone.utc))
    except OSError as exc:
        log.warning("the reminder's answer could not be handed to the daemon: %s", exc)


def load_routine(screen: Screen) -> Routine:
    """The routine in effect (the packaged defaults if the file has a problem)."""
    try:
        return routine.load(screen.where.routine_file)
    except CompanionError as exc:
        log.warning("the routine file has a problem; the screen uses the defaults: %s", exc)
        return routine.default()


async def exercises_page(request: Request) -> Response:
    r = load_routine(request.app.state.screen)
    side = request.query_params.get("side", "")
    items = catalogue.items(r, prompts.load(r.language), side)
    return render(request, "exercises.html", items=items)


async def picture(request: Request) -> Response:
    exercise_id = request.path_params["exercise"]
    side = request.query_params.get("side", "")
    if side not in ("left", "right"):
        side = load_routine(request.app.state.screen).affected_side
    try:
        svg = pictures.svg(exercise_id, side)
    except KeyError:
        return PlainTextResponse("No such exercise.", 404)
    return Response(svg, media_type="image/svg+xml")


def create_app(screen: Screen) -> Starlette:
    """The whole app for one run of the server."""
    from companion.screen import caregiver, downloads, pair_page

    routes = [
        Route("/", session_page),
        Route("/state", state),
        Route("/events", events),
        Route("/press", press, methods=["POST"]),
        Route("/reminder/later", reminder_later, methods=["POST"]),
        Route("/exercises", exercises_page),
        Route("/pictures/{exercise}.svg", picture),
        *caregiver.routes(),
        *downloads.routes(),
        *pair_page.routes(),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    app = Starlette(routes=routes)
    app.state.screen = screen
    app.state.templates = templates()
    app.add_middleware(guard.Guard, pairing=screen.pairing)
    return app
