"""The caregiver's and the therapist's pages: overview, settings, plan, history, the report."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sys
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from companion import library, prompts, routine
from companion.errors import CompanionError
from companion.history.store import HistoryStore
from companion.reminders import lock
from companion.report import data, page
from companion.screen import guard, settings_form
from companion.screen.pages import Screen, checked_form, labels, render, whole_number

log = logging.getLogger(__name__)
CLI_WAIT_S = 60.0
"""Longest wait for a command whose output a page shows."""
REPORT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'unsafe-inline'; "
    "frame-ancestors 'none'; form-action 'none'; base-uri 'none'"
)
"""The report is one self-contained page (its styles and check script are inside it)."""
SESSION_BAR_CSS = (
    ".session-bar{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;padding:.75rem;"
    "border:3px solid #9b1c1c;border-radius:12px;margin:0 0 1rem}"
    ".session-bar form{margin:0}.session-bar button{min-width:12rem;min-height:72px;"
    "font-size:1.6rem;font-weight:700;border-radius:14px;border:3px solid #9b1c1c;"
    "background:#9b1c1c;color:#fff;cursor:pointer}"
    "@media print{.session-bar{display:none}}"
)
"""The session's Stop and It hurts on the report page (its styles are its own)."""


async def cli_text(screen: Screen, *argv: str) -> str:
    """What a ``companion`` command prints (its plain messages too), for showing on a page.

    Run as a child process: the command's output cannot mix with a session running here."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "companion.cli.main", *argv,
        "--data-dir", str(screen.where.data_dir),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), CLI_WAIT_S)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        return f"'companion {argv[0]}' did not answer within {CLI_WAIT_S:.0f} seconds."
    return out.decode("utf-8", "replace").replace("companion: ", "")


def _screen(request: Request) -> Screen:
    screen: Screen = request.app.state.screen
    return screen


async def overview(request: Request) -> Response:
    screen = _screen(request)
    pid = lock.holder(screen.where.daemon_lock)
    plan, reminders = await asyncio.gather(
        cli_text(screen, "plan"), cli_text(screen, "reminders", "list")
    )
    pairing = screen.pairing if guard.from_this_computer(request) else None
    return render(
        request,
        "care.html",
        daemon_pid=pid,
        plan=plan,
        reminders=reminders,
        today=dt.date.today(),
        pairing=pairing,
    )


async def history(request: Request) -> Response:
    raw = request.query_params.get("days", "14")
    days = raw if whole_number(raw) and 1 <= int(raw) <= 366 else "14"
    text = await cli_text(_screen(request), "history", "--days", days)
    return render(request, "history.html", text=text, days=days)


def _form_page(
    request: Request,
    form: dict[str, str],
    outcome: Any,
    status: int,
    template: str = "settings.html",
    **extra: Any,
) -> Response:
    screen = _screen(request)
    try:
        r = routine.load(screen.where.routine_file)
        problem = ""
    except CompanionError as exc:
        r, problem = routine.default(), exc.message
    words = prompts.load(r.language)
    levels = words.tables["ui"]["levels"]
    exercises = [
        {
            "id": e.id,
            "name": words.exercise(e.id).name,
            "level": e.level,
            "level_name": levels[str(e.level)],
        }
        for e in library.LIBRARY
    ]
    return render(
        request,
        template,
        status=status,
        fields=settings_form.FIELDS,
        sections=settings_form.SECTIONS,
        in_section=settings_form.in_section,
        exercises=exercises,
        form=form,
        outcome=outcome,
        problem=problem,
        **extra,
    )


def _effective_form(request: Request) -> dict[str, str] | Response:
    """The form's values from the routine in effect, or a page saying what is wrong with it."""
    try:
        data = settings_form.effective(_screen(request).where.routine_file)
    except CompanionError as exc:
        return render(
            request,
            "message.html",
            status=409,
            title="The routine file has a problem",
            text=str(exc),
        )
    return settings_form.values(data)


def _save(request: Request, form: dict[str, str]) -> settings_form.Outcome:
    """Save the whole form through the routine editor (all or nothing)."""
    try:
        return settings_form.save(_screen(request).where.routine_file, form)
    except CompanionError as exc:
        return settings_form.Outcome(errors={"": str(exc)})


async def settings_page(request: Request) -> Response:
    form = _effective_form(request)
    if isinstance(form, Response):
        return form
    saved = request.query_params.get("saved") == "1"
    return _form_page(request, form, settings_form.Outcome(saved=saved), 200)


async def settings_post(request: Request) -> Response:
    form = await checked_form(request)
    if isinstance(form, Response):
        return form
    outcome = _save(request, form)
    if outcome.errors:
        return _form_page(request, form, outcome, 400)
    return RedirectResponse("/care/settings?saved=1", status_code=303)


async def setup_page(request: Request) -> Response:
    """The set-up wizard's first step, filled from the routine in effect (defaults if none)."""
    form = _effective_form(request)
    if isinstance(form, Response):
        return form
    return _form_page(
        request, form, settings_form.Outcome(), 200, "wizard.html", step=0, current="person"
    )


async def setup_post(request: Request) -> Response:
    """One step of the wizard: check this step's fields, go on or back; save at the end only."""
    form = await checked_form(request)
    if isinstance(form, Response):
        return form
    path = _screen(request).where.routine_file
    sections = settings_form.SECTIONS
    step = int(form["step"]) if whole_number(form.get("step", "")) else 0
    step = min(step, len(sections))
    go = form.get("go", "next")
    errors: dict[str, str] = {}
    if go == "back":
        step = max(0, step - 1)
    elif go == "save":
        outcome = _save(request, form)
        if outcome.saved:
            return RedirectResponse("/care?message=The routine is set up and saved.", 303)
        errors = outcome.errors
        step = next(
            (
                i
                for i, (name, _, _) in enumerate(sections)
                if any(settings_form.in_section(k, name) for k in errors)
            ),
            len(sections),
        )
    elif step < len(sections):
        name = sections[step][0]
        try:
            found = settings_form.check(path, form)
        except CompanionError as exc:
            found = {"": str(exc)}
        errors = {k: v for k, v in found.items() if not k or settings_form.in_section(k, name)}
        if not errors:
            step += 1
    current = sections[step][0] if step < len(sections) else ""
    outcome = settings_form.Outcome(errors=errors)
    status = 400 if errors else 200
    return _form_page(request, form, outcome, status, "wizard.html", step=step, current=current)


async def report(request: Request) -> Response:
    """The therapist's report, as ``companion report`` writes it, for printing."""
    screen = _screen(request)
    if not screen.where.history_db.exists():
        return render(
            request,
            "message.html",
            title="No report yet",
            text="No session has been recorded yet, so there is nothing to report.",
        )
    try:
        r = routine.load(screen.where.routine_file)
    except CompanionError:
        r = routine.default()
    now = dt.datetime.now().astimezone()
    first = now.date() - dt.timedelta(days=27)
    try:
        with HistoryStore.open(screen.where.history_db, create=False) as store:
            numbers = data.gather(store.connection, first, now.date())
    except CompanionError as exc:
        return render(
            request, "message.html", status=409, title="The history cannot be read", text=str(exc)
        )
    html = page.render(numbers, r, prompts.load(r.language), now)
    if not screen.live.snapshot()["running"]:
        return HTMLResponse(html, headers={"content-security-policy": REPORT_CSP})
    # a session runs: Stop and It hurts on this page too, posting to the companion only
    bar = request.app.state.templates.get_template("session_bar.html").render(
        token=screen.token, **labels(prompts.load(r.language))
    )
    html = html.replace("</head>", f"<style>{SESSION_BAR_CSS}</style></head>", 1)
    body_open = html.index(">", html.index("<body")) + 1
    html = html[:body_open] + bar + html[body_open:]
    csp = REPORT_CSP.replace("form-action 'none'", "form-action 'self'")
    return HTMLResponse(html, headers={"content-security-policy": csp})


def routes() -> list[Route]:
    """The caregiver's and the therapist's routes."""
    return [
        Route("/care", overview),
        Route("/care/history", history),
        Route("/care/settings", settings_page),
        Route("/care/settings", settings_post, methods=["POST"]),
        Route("/care/setup", setup_page),
        Route("/care/setup", setup_post, methods=["POST"]),
        Route("/report", report),
    ]
