"""The settings page on a routine whose exercises leave out their reps or sets lines."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from companion import library, routine
from companion.screen.app import Screen
from tests.screen_app import TOKEN
from tests.test_routine_edit import COMMENTED


def shown(html: str) -> dict[str, str]:
    """Form field -> the value the page fills in."""
    return dict(re.findall(r'name="([^"]+)" value="([^"]*)"', html))


@pytest.mark.parametrize(
    "text",
    [
        COMMENTED,  # wrist_bend has no sets line
        '[[exercise]]\nid = "pen_spin"\n\n[[exercise]]\nid = "palm_turn"\nreps = 7\n',
        '[[exercise]]\nid = "wrist_bend"\nreps = 6\n\n[[exercise]]\nid = "coin_drop"\nsets = 3\n',
    ],
    ids=["commented", "first-has-only-an-id", "first-has-no-sets"],
)
def test_settings_page_shows_what_the_loader_uses_for_left_out_lines(
    screen: Screen, client: TestClient, text: str
) -> None:
    path = screen.where.routine_file
    path.write_text(text, encoding="utf-8")
    loaded = routine.load(path)  # a valid routine
    r = client.get("/care/settings")
    assert r.status_code == 200, r.text
    assert "Traceback" not in r.text
    form = shown(r.text)
    for ex in loaded.exercises:
        assert form[f"exercise.{ex.id}.reps"] == str(ex.reps)
        assert form[f"exercise.{ex.id}.sets"] == str(ex.sets)
    first_sets = str(loaded.exercises[0].sets)
    for ex in library.LIBRARY:  # not in the routine: the usual dose, the first one's sets
        if ex.id not in {e.id for e in loaded.exercises}:
            assert form[f"exercise.{ex.id}.sets"] == first_sets


def test_saving_the_unchanged_page_keeps_the_file_byte_identical(
    screen: Screen, client: TestClient
) -> None:
    path = screen.where.routine_file
    path.write_text(COMMENTED, encoding="utf-8")
    html = client.get("/care/settings").text
    form = {k: v for k, v in shown(html).items() if k != "token"}
    form.update(
        re.findall(r'<select id="[^"]+" name="([^"]+)">.*?<option value="(\w+)" selected', html)
    )
    for name in re.findall(r'type="checkbox" name="([^"]+)"[^>]* checked', html):
        form[name] = "on"
    r = client.post("/care/settings", data={**form, "token": TOKEN}, follow_redirects=False)
    assert r.status_code in (200, 303), r.text
    assert "Traceback" not in r.text
    assert path.read_text(encoding="utf-8") == COMMENTED
