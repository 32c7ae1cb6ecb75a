"""The pairing page a tablet on the home network sees first (``--lan``): type the code, get a
cookie that opens the other pages."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from companion.screen import guard, pairing
from companion.screen.pages import Screen, render, words_of

WORDS = {pairing.Outcome.WRONG: "ui.screen.pair.wrong", pairing.Outcome.WAIT: "ui.screen.pair.wait"}
"""What a code not taken is answered (the wording's keys: ui.toml [screen.pair])."""
STATUS = {pairing.Outcome.WRONG: 400, pairing.Outcome.WAIT: 429}


async def pair_page(request: Request) -> Response:
    screen: Screen = request.app.state.screen
    return render(request, "pair.html", pairing_on=screen.pairing is not None, wrong="")


async def pair_post(request: Request) -> Response:
    """A code typed on the tablet: right, a cookie and on to the session page; wrong, again."""
    screen: Screen = request.app.state.screen
    words = words_of(screen)
    if screen.pairing is None:
        return PlainTextResponse(words.text("ui.screen.pair.off"), 404)
    if not guard.same_origin(request):
        return PlainTextResponse(words.text("ui.screen.pair.not_our_form"), 403)
    form = await request.form()
    code = form.get("code")
    outcome, cookie = screen.pairing.attempt(
        code if isinstance(code, str) else "", time.monotonic()
    )
    if outcome != pairing.Outcome.PAIRED:
        wrong = words.text(WORDS[outcome])
        return render(request, "pair.html", STATUS[outcome], pairing_on=True, wrong=wrong)
    answer = RedirectResponse("/", status_code=303)
    answer.set_cookie(
        pairing.COOKIE,
        cookie,
        max_age=pairing.COOKIE_MAX_AGE_S,
        path="/",
        httponly=True,
        samesite="strict",
    )
    return answer


def routes() -> list[Route]:
    """The pairing routes."""
    return [Route("/pair", pair_page), Route("/pair", pair_post, methods=["POST"])]
