"""The web app: the session page, its live updates (Server-Sent Events) and its buttons."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import AsyncIterator
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

from companion import prompts
from companion.commands import Command
from companion.screen import (
    caregiver,
    catalogue,
    downloads,
    guard,
    hurts_record,
    live,
    pair_page,
    pictures,
    reminder_answer,
)
from companion.screen.pages import (
    HERE,
    Screen,
    checked_form,
    load_routine,
    render,
    templates,
    whole_number,
    words_of,
)

log = logging.getLogger(__name__)
HEARTBEAT_S = 15.0
"""A comment line this often keeps an idle event stream open."""


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
    """Server-Sent Events: this run's token, the state now, then every change as it happens
    (like the page itself, readable only by this computer's pages: no CORS, the guard)."""
    screen: Screen = request.app.state.screen

    def message(snapshot: dict[str, Any]) -> str:
        # with this run's token: a page left open from an earlier run reconnects by itself and
        # shows this run's session, so its presses (stop, it hurts) must work here too
        return f"data: {json.dumps({**snapshot, 'token': screen.token})}\n\n"

    async def stream() -> AsyncIterator[str]:
        with screen.live.subscribe() as q:
            yield message(screen.live.snapshot())
            while True:
                try:
                    snapshot = await asyncio.wait_for(q.get(), HEARTBEAT_S)
                except TimeoutError:
                    if await request.is_disconnected():
                        return
                    yield ": still here\n\n"
                    continue
                yield message(snapshot)

    headers = {"cache-control": "no-store", "x-accel-buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)


async def press(request: Request) -> Response:
    """A button: the command goes to the session's queue, like a key press."""
    form = await checked_form(request)
    if isinstance(form, Response):
        return form
    screen: Screen = request.app.state.screen
    words = words_of(screen)
    try:
        command = Command(form.get("command", ""))
    except ValueError:
        return _answer(request, words.text("ui.screen.unknown_button"), 400)
    value: int | None = None
    if command is Command.NUMBER:
        raw = form.get("value", "")
        if not whole_number(raw) or not 0 <= int(raw) <= 10:
            return _answer(request, words.text("ui.screen.choose_number"), 400)
        value = int(raw)
    snapshot = screen.live.snapshot()
    if command is Command.START and not snapshot["running"] and screen.start_session:
        problem = screen.start_session()
        if not problem:
            _answer_reminder(screen, snapshot, command)
        return _answer(request, problem or "", 409 if problem else 200)
    refused = screen.live.press(command, value, form.get("asked"))
    if refused == live.NO_SESSION and command in (Command.STOP, Command.HURTS):
        # no session: they answer the reminder being asked, and "it hurts" is never just refused
        # (nor lost: a reminder that had stopped asking leaves it to the page)
        answered = _answer_reminder(screen, snapshot, command)
        answered = answered and await reminder_answer.taken(screen.where)
        if command is Command.HURTS:
            return _answer(request, _hurts_here(screen, answered))
        if answered:
            return _answer(request, "")
    if refused:
        return _answer(request, words.text(refused), 409)
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


def _answer_reminder(screen: Screen, snapshot: dict[str, Any], command: Command) -> bool:
    """While the daemon asks (the page shows it due), Start, Later, Stop or It hurts answers
    it too; whether it was handed to the daemon."""
    now = dt.datetime.now(dt.timezone.utc)
    return reminder_answer.give(screen.where, snapshot.get("reminder"), command, now)


def _hurts_here(screen: Screen, answered: bool) -> str:
    """It hurts with no session: the advice shown; recorded here unless the reminder being
    asked took it (the daemon records it then)."""
    words = words_of(screen)
    if answered:
        return words.text("ui.screen.hurts_advice")
    shown = words.text("ui.screen.hurts_no_session")
    hurts_record.record(screen.where, dt.datetime.now().astimezone(), shown)
    return shown


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
