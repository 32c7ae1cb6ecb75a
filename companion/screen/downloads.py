"""The therapist's downloads: the raw history as CSV (one table each) or as one JSON file."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from companion.errors import CompanionError
from companion.history.migrations import TABLES
from companion.history.store import HistoryStore
from companion.report import export
from companion.screen.pages import Screen, render


def _snapshot(screen: Screen) -> dict[str, tuple[str, int]] | None:
    """Every table as CSV text, from one snapshot (None: no history yet)."""
    if not screen.where.history_db.exists():
        return None
    with HistoryStore.open(screen.where.history_db, create=False) as store:
        return export.snapshot(store.connection)


def _attachment(body: str, name: str, media: str) -> Response:
    headers = {"content-disposition": f'attachment; filename="{name}"', "cache-control": "no-store"}
    return Response(body, media_type=media, headers=headers)


async def index(request: Request) -> Response:
    screen: Screen = request.app.state.screen
    try:
        tables = _snapshot(screen)
    except CompanionError as exc:
        return render(request, "message.html", status=409, title="The history cannot be read",
                      text=str(exc))  # fmt: skip
    counts = {t: n for t, (_, n) in (tables or {}).items()}
    return render(request, "downloads.html", counts=counts, tables=TABLES)


async def table_csv(request: Request) -> Response:
    table = request.path_params["table"]
    if table not in TABLES:
        return PlainTextResponse("There is no such table in the history.", 404)
    tables = _snapshot(request.app.state.screen)
    if tables is None:
        return PlainTextResponse("No session has been recorded yet.", 404)
    return _attachment(tables[table][0], f"{table}.csv", "text/csv; charset=utf-8")


async def all_json(request: Request) -> Response:
    tables = _snapshot(request.app.state.screen)
    if tables is None:
        return PlainTextResponse("No session has been recorded yet.", 404)
    data = {t: list(csv.DictReader(io.StringIO(text))) for t, (text, _) in tables.items()}
    name = f"companion-history-{dt.date.today().isoformat()}.json"
    return _attachment(json.dumps(data, indent=1), name, "application/json")


def routes() -> list[Route]:
    """The download routes (under /report)."""
    return [
        Route("/report/data", index),
        Route("/report/data/history.json", all_json),
        Route("/report/data/{table}.csv", table_csv),
    ]
