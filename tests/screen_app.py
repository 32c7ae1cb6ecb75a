"""The screen's web app over a new data folder, called in-process: shared by the screen tests
(the ``screen`` and ``client`` fixtures in conftest.py are built from these)."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from companion import paths
from companion.screen.app import Screen, create_app
from companion.screen.live import Live

TOKEN = "test-token"
"""The pairing token of every screen built here."""
BASE = "http://127.0.0.1:8766"
"""Where the in-process client's requests seem to go (the screen's own address)."""


def new_screen(data_dir: Path) -> Screen:
    """A screen over a new data folder at ``data_dir``, with no session running."""
    return Screen(Live(), paths.resolve(data_dir).ensure(), TOKEN)


def client_for(screen: Screen) -> TestClient:
    """An HTTP client that calls ``screen``'s app in this process."""
    return TestClient(create_app(screen), base_url=BASE)
