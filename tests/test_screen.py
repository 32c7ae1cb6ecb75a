"""The screen's web app called in-process: every page and form, bad input, and its guards."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from companion import library, routine
from companion.cli.main import main
from companion.commands import Command
from companion.events import Begin, Heard, Listen, Say
from companion.routine import edit as routine_edit
from companion.screen import pictures
from companion.screen.app import Screen
from companion.screen.live import Live
from tests.screen_app import BASE, TOKEN, client_for, new_screen
from tests.test_report import build_history


def errors(html: str) -> dict[str, str]:
    """Field id -> the message shown next to it."""
    return dict(re.findall(r'<p class="field-error" id="([^"]+)-error">([^<]*)</p>', html))


@pytest.mark.parametrize(
    "url",
    ["/", "/state", "/exercises", "/exercises?side=right", "/care", "/care/history",
     "/care/settings", "/report", "/static/live.js", "/static/screen.css"],
)  # fmt: skip
def test_every_page_answers_on_a_new_install(client: TestClient, url: str) -> None:
    r = client.get(url)
    assert r.status_code == 200
    assert "Traceback" not in r.text
    assert r.headers["x-frame-options"] == "DENY"
    assert "content-security-policy" in r.headers


def test_session_page_without_a_session_offers_start_and_always_stop_and_it_hurts(
    client: TestClient,
) -> None:
    html = client.get("/").text
    assert "Press Start when you are ready." in html
    shown = re.findall(
        r'<form method="post" action="/press" class="press" data-command="(\w+)">', html
    )
    assert {"start", "stop", "hurts"} <= set(shown)
    assert "pause" not in shown  # hidden: the session is not listening for it
    assert f'value="{TOKEN}"' in html
    assert "http://" not in html.replace(BASE, "")  # nothing from outside the machine


def test_page_shows_the_sessions_state(screen: Screen, client: TestClient) -> None:
    screen.live.update(
        running=True, caption="Curl your fingers round the bottle.", exercise="bottle_grasp",
        exercise_name="Bottle grasp", set_no=2, sets=3, rep=4, reps=10, day_done=0.5,
        commands=["pause", "stop", "hurts", "number"], stage="counting",
    )  # fmt: skip
    html = client.get("/").text
    assert "Curl your fingers round the bottle." in html
    assert "set 2 of 3, rep 4 of 10" in html
    assert 'src="/pictures/bottle_grasp.svg"' in html
    assert 'value="0.5"' in html
    assert re.search(r'data-command="pause">', html)
    assert client.get("/state").json()["rep"] == 4


def test_a_press_reaches_the_sessions_queue(screen: Screen, client: TestClient) -> None:
    got: list[object] = []
    screen.live.connect(got.append)
    r = client.post("/press", data={"command": "hurts", "token": TOKEN}, follow_redirects=False)
    assert r.status_code == 303
    r = client.post(
        "/press", data={"command": "number", "value": "7", "token": TOKEN},
        headers={"x-companion-token": TOKEN},
    )  # fmt: skip
    assert r.json() == {"message": ""}
    assert got == [
        Heard(Command.HURTS, None, source="screen", text="hurts"),
        Heard(Command.NUMBER, 7, source="screen", text="7"),
    ]


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({"command": "dance"}, 400, "That button is not known."),
        ({"command": "number", "value": "11"}, 400, "Choose a number from 0 to 10."),
        ({"command": "number", "value": "-1"}, 400, "Choose a number from 0 to 10."),
        ({"command": "number", "value": ""}, 400, "Choose a number from 0 to 10."),
        ({"command": "number", "value": "²"}, 400, "Choose a number from 0 to 10."),
        ({"command": "number", "value": "9" * 5000}, 400, "Choose a number from 0 to 10."),
        ({"command": "stop"}, 409, "No session is running now."),
    ],
)
def test_bad_presses_get_a_plain_message(
    screen: Screen, client: TestClient, data: dict[str, str], status: int, message: str
) -> None:
    got: list[object] = []
    if status != 409:
        screen.live.connect(got.append)
    r = client.post("/press", data={**data, "token": TOKEN})
    assert r.status_code == status
    assert message in r.text
    assert got == []


def test_state_changes_need_the_runs_token_and_our_origin(
    screen: Screen, client: TestClient
) -> None:
    got: list[object] = []
    screen.live.connect(got.append)
    for data, headers in [
        ({"command": "stop"}, {}),
        ({"command": "stop", "token": "guess"}, {}),
        ({"command": "stop", "token": TOKEN}, {"origin": "http://evil.example"}),
        ({"command": "stop", "token": TOKEN}, {"origin": "null"}),
    ]:
        r = client.post("/press", data=data, headers=headers)
        assert r.status_code == 403
        assert "nothing was changed" in r.text
    ok = client.post(
        "/press",
        data={"command": "stop", "token": TOKEN},
        headers={"origin": "http://localhost:8766"},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert len(got) == 1


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1.evil.example", "192.168.1.5:8766", ""])
def test_other_host_names_are_refused_dns_rebinding(client: TestClient, host: str) -> None:
    r = client.get("/", headers={"host": host})
    assert r.status_code == 421
    assert "this computer only" in r.text


@pytest.mark.parametrize("host", ["localhost:8766", "127.0.0.1", "[::1]:8766"])
def test_loopback_host_names_are_served(client: TestClient, host: str) -> None:
    assert client.get("/", headers={"host": host}).status_code == 200


def test_every_exercise_has_a_picture_with_start_and_end_mirrored_for_the_right_hand(
    client: TestClient,
) -> None:
    for ex in library.LIBRARY:
        left = client.get(f"/pictures/{ex.id}.svg?side=left")
        right = client.get(f"/pictures/{ex.id}.svg?side=right")
        assert left.headers["content-type"].startswith("image/svg+xml")
        assert ">Start</text>" in left.text and ">End</text>" in left.text
        assert "scale(-1,1)" in right.text and "scale(-1,1)" not in left.text
        assert "right hand" in right.text
    assert client.get("/pictures/juggling.svg").status_code == 404
    page = client.get("/exercises").text
    assert page.count("<svg") >= len(library.LIBRARY)


def test_pictures_follow_the_affected_side(screen: Screen, client: TestClient) -> None:
    routine_edit.init(screen.where.routine_file)
    main(["routine", "set", "affected_side", "right", "--data-dir", str(screen.where.data_dir)])
    assert "scale(-1,1)" in client.get("/pictures/palm_turn.svg").text


def test_faces_go_from_smile_to_frown() -> None:
    def mouth(n: int) -> int:
        return int(re.search(r"Q24,(-?\d+)", pictures.face(n)).group(1))  # type: ignore[union-attr]

    assert mouth(0) > mouth(5) > mouth(10)


def _posted(client: TestClient, **changes: str) -> dict[str, str]:
    """The settings form as the page fills it, with some fields changed."""
    html = client.get("/care/settings").text
    form = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', html))
    form.update(
        re.findall(r'<select id="[^"]+" name="([^"]+)">.*?<option value="(\w+)" selected', html)
    )
    form = {k: v for k, v in form.items() if k != "token"}
    for name in re.findall(r'type="checkbox" name="([^"]+)"[^>]* checked', html):
        form[name] = "on"
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def test_settings_form_saves_through_the_editor_and_keeps_comments(
    screen: Screen, client: TestClient
) -> None:
    path = screen.where.routine_file
    routine_edit.init(path)
    path.write_text(path.read_text() + "# our note: Mum prefers mornings\n")
    form = _posted(
        client, **{"reminders.times": "09:00, 17:30", "speech.rate": "130",
                   "safety.emergency_number": "999", "exercise.bottle_grasp.include": "on"},
    )  # fmt: skip
    r = client.post("/care/settings", data={**form, "token": TOKEN}, follow_redirects=False)
    assert r.status_code == 303, errors(r.text)
    saved = routine.load(path)
    assert saved.reminders.times == ("09:00", "17:30")
    assert saved.speech.rate == 130
    assert saved.safety.emergency_number == "999"
    assert "bottle_grasp" in [e.id for e in saved.exercises]
    assert "# our note: Mum prefers mornings" in path.read_text()
    assert "Saved." in client.get(r.headers["location"]).text
    assert main(["routine", "check", "--data-dir", str(screen.where.data_dir)]) == 0


@pytest.mark.parametrize(
    ("field", "value", "shown_at"),
    [
        ("speech.rate", "fast", "speech-rate"),
        ("speech.rate", "9000", "speech-rate"),
        ("speech.volume", "loud", "speech-volume"),
        ("reminders.times", "25:00", "reminders-times"),
        ("safety.emergency_number", "call Bob", "safety-emergency_number"),
        ("name", "\u202eevil", "name"),
    ],
)
def test_bad_settings_show_a_message_next_to_the_field_and_save_nothing(
    screen: Screen, client: TestClient, field: str, value: str, shown_at: str
) -> None:
    path = screen.where.routine_file
    routine_edit.init(path)
    before = path.read_bytes()
    good = {"speech.rate": "120"} if field != "speech.rate" else {"speech.volume": "0.5"}
    form = _posted(client, **{field: value, **good})
    r = client.post("/care/settings", data={**form, "token": TOKEN})
    assert r.status_code == 400
    assert "Nothing was saved" in r.text
    found = errors(r.text)
    assert set(found) == {shown_at}, found
    assert "Traceback" not in found[shown_at]
    assert "['" not in found[shown_at] and '["' not in found[shown_at]  # no Python lists
    assert path.read_bytes() == before  # not even the good field was saved


def test_bad_settings_on_a_new_install_write_no_file(screen: Screen, client: TestClient) -> None:
    form = _posted(client, **{"speech.rate": "abc"})
    r = client.post("/care/settings", data={**form, "token": TOKEN})
    assert r.status_code == 400
    assert not screen.where.routine_file.exists()


def test_bad_exercise_dose_is_shown_at_that_exercise(screen: Screen, client: TestClient) -> None:
    routine_edit.init(screen.where.routine_file)
    before = screen.where.routine_file.read_bytes()
    form = _posted(client, **{"exercise.palm_turn.reps": "0"})
    r = client.post("/care/settings", data={**form, "token": TOKEN})
    assert r.status_code == 400
    assert re.search(r'name="exercise.palm_turn.reps"[^>]*aria-invalid="true"', r.text)
    assert screen.where.routine_file.read_bytes() == before


def test_settings_without_the_token_change_nothing(screen: Screen, client: TestClient) -> None:
    form = _posted(client, **{"speech.rate": "120"})
    r = client.post("/care/settings", data=form)
    assert r.status_code == 403
    assert not screen.where.routine_file.exists()


def test_caregiver_page_shows_plan_reminders_and_the_daemon(
    screen: Screen, client: TestClient
) -> None:
    html = client.get("/care").text
    assert "Plan for" in html
    assert "Reminder times" in html
    assert "The reminder service is not running" in html


def test_report_is_served_from_the_history(screen: Screen, client: TestClient) -> None:
    assert "No session has been recorded yet" in client.get("/report").text
    start = dt.date.today() - dt.timedelta(days=10)
    build_history(screen.where.history_db, start, 8, seed=3)
    r = client.get("/report")
    assert r.status_code == 200
    assert 'content="companion report"' in r.text
    assert "script-src 'unsafe-inline'" in r.headers["content-security-policy"]
    assert client.get("/care/history?days=²").status_code == 200
    history = client.get("/care/history?days=30").text
    assert "Traceback" not in history and str(start.year) in history


def test_exercises_html_writes_a_page_with_every_picture(tmp_path: Path) -> None:
    out = tmp_path / "exercises.html"
    assert main(["exercises", "--data-dir", str(tmp_path), "--html", str(out)]) == 0
    text = out.read_text()
    assert text.count("<svg") >= len(library.LIBRARY) and "Start</text>" in text
    assert main(["exercises", "--data-dir", str(tmp_path), "--html", str(out)]) == 0
    other = tmp_path / "notes.txt"
    other.write_text("mine")
    assert main(["exercises", "--data-dir", str(tmp_path), "--html", str(other)]) == 3
    assert other.read_text() == "mine"


def ids_once_and_found(page: str) -> list[str]:
    """The page's element ids, checked to be unique and to hold every url(#id) reference."""
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), sorted(i for i in set(ids) if ids.count(i) > 1)
    assert set(re.findall(r"url\(#([^)]+)\)", page)) <= set(ids)
    return ids


@pytest.mark.parametrize("side", ["left", "right"])
def test_a_page_with_all_nine_pictures_repeats_no_id(
    tmp_path: Path, client: TestClient, side: str
) -> None:
    out = tmp_path / "exercises.html"
    routine_edit.init(tmp_path / "routine.toml")
    assert main(["routine", "set", "affected_side", side, "--data-dir", str(tmp_path)]) == 0
    assert main(["exercises", "--data-dir", str(tmp_path), "--html", str(out)]) == 0
    assert f"{side} hand" in out.read_text()
    for page in (out.read_text(), client.get(f"/exercises?side={side}").text):
        assert page.count("<marker") == len(library.LIBRARY) == 9
        ids_once_and_found(page)
    both = pictures.svg("palm_turn", "left") + pictures.svg("palm_turn", "right")
    ids_once_and_found(both)


def test_screen_refuses_a_bad_port(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["screen", "--data-dir", str(tmp_path), "--port", "80", "--no-browser"]) == 3
    assert "--port must be a number from 1024 to 65535" in capsys.readouterr().err


def _wizard_form(html: str) -> dict[str, str]:
    """What the wizard's page would post: every field and hidden field with its value."""
    form = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', html))
    select = r'<select id="[^"]+" name="([^"]+)">.*?<option value="(\w+)" selected'
    form.update(re.findall(select, html))
    for name in re.findall(r'type="checkbox" name="([^"]+)"[^>]* checked', html):
        form[name] = "on"
    form.pop("go", None)
    return form


def test_setup_wizard_from_nothing_writes_a_valid_commented_routine(
    screen: Screen, client: TestClient
) -> None:
    html = client.get("/care/setup").text
    assert "step 1 of 5" in html
    steps = [
        {"name": "Ann", "affected_side": "right"},
        {"exercise.palm_turn.include": None, "exercise.bottle_grasp.include": "on",
         "exercise.bottle_grasp.reps": "8", "exercise.bottle_grasp.sets": "3"},
        {"reminders.times": "09:00, 17:30", "safety.emergency_number": "112"},
        {"speech.rate": "130"},
    ]  # fmt: skip
    for number, changes in enumerate(steps, start=2):
        form = _wizard_form(html)
        for key, value in changes.items():
            if value is None:
                form.pop(key, None)
            else:
                form[key] = value
        r = client.post("/care/setup", data={**form, "go": "next"})
        assert r.status_code == 200, errors(r.text)
        html = r.text
        assert f"step {number} of 5" in html
        assert not screen.where.routine_file.exists()  # nothing saved before the last step
    assert "Ann" in html and "3 sets of 8" in html
    last = {**_wizard_form(html), "go": "save"}
    r = client.post("/care/setup", data=last, follow_redirects=False)
    assert r.status_code == 303
    saved = routine.load(screen.where.routine_file)
    assert (saved.name, saved.affected_side, saved.speech.rate) == ("Ann", "right", 130)
    assert saved.reminders.times == ("09:00", "17:30")
    assert saved.safety.emergency_number == "112"
    assert [(e.id, e.reps, e.sets) for e in saved.exercises if e.id == "bottle_grasp"] == [
        ("bottle_grasp", 8, 3)
    ]
    assert "palm_turn" not in [e.id for e in saved.exercises]
    assert screen.where.routine_file.read_text().count("#") > 10  # the comments are kept
    assert main(["routine", "check", "--data-dir", str(screen.where.data_dir)]) == 0


def test_setup_wizard_keeps_a_bad_step_with_its_message_and_saves_nothing(
    screen: Screen, client: TestClient
) -> None:
    form = _wizard_form(client.get("/care/setup").text)
    r = client.post("/care/setup", data={**form, "go": "next"})
    form = _wizard_form(r.text)
    r = client.post("/care/setup", data={**form, "go": "next"})
    form = {**_wizard_form(r.text), "reminders.times": "9 o'clock"}
    r = client.post("/care/setup", data={**form, "go": "next"})
    assert r.status_code == 400
    assert "step 3 of 5" in r.text
    assert set(errors(r.text)) == {"reminders-times"}
    back = client.post("/care/setup", data={**_wizard_form(r.text), "go": "back"})
    assert "step 2 of 5" in back.text
    assert not screen.where.routine_file.exists()
    r = client.post("/care/setup", data={**_wizard_form(r.text), "step": "4", "go": "save"})
    assert r.status_code == 400 and "step 3 of 5" in r.text  # sent back to the step at fault
    assert not screen.where.routine_file.exists()


def test_history_downloads_as_csv_and_json(screen: Screen, client: TestClient) -> None:
    from companion.history.migrations import TABLES

    assert "No session has been recorded yet." in client.get("/report/data").text
    assert client.get("/report/data/history.json").status_code == 404
    build_history(screen.where.history_db, dt.date.today() - dt.timedelta(days=9), 8, seed=5)
    page = client.get("/report/data").text
    for table in TABLES:
        r = client.get(f"/report/data/{table}.csv")
        assert r.status_code == 200
        assert r.headers["content-disposition"] == f'attachment; filename="{table}.csv"'
        assert f'href="/report/data/{table}.csv"' in page
    everything = client.get("/report/data/history.json")
    data = everything.json()
    assert set(data) == set(TABLES)
    sessions = client.get("/report/data/sessions.csv").text.strip().splitlines()
    assert len(data["sessions"]) == len(sessions) - 1 > 0
    assert client.get("/report/data/secrets.csv").status_code == 404


def test_the_watcher_shows_the_sessions_caption_set_rep_and_day() -> None:
    from companion.screen.link import ScreenLink
    from tests.session_driver import Driver, make_plan

    drive = Driver(make_plan(("palm_turn", 2, 3), ("wrist_bend", 2, 3)))
    live = Live()
    link = ScreenLink(live)
    watch = link.watcher(drive.session, drive.session.words)
    source = link.source()
    source.start(lambda _event: None)

    def step(effects: list[Any]) -> dict[str, Any]:
        for effect in effects:
            if isinstance(effect, Listen):
                source.listen(effect)
        watch(effects, drive.now)
        return live.snapshot()

    shown = step(drive.send(Begin()))
    said = [e.text for e in drive.last if isinstance(e, Say)]
    assert len(said) > 2
    assert shown["caption"] == " ".join(said[-2:])  # the question, large
    assert shown["said"] == " ".join(said[:-2])  # what came before it, smaller
    assert shown["exercise"] == "palm_turn" and shown["sets"] == 2 and shown["reps"] == 3
    assert "start" in shown["commands"] and shown["day_done"] == 0
    shown = step(drive.say(Command.START))
    for _ in range(200):
        shown = step(drive.advance(0.5))
        if shown["rep"] == 2:
            break
    assert shown["set_no"] == 1 and shown["rep"] == 2 and shown["stage"] == "counting"
    assert 0 < shown["day_done"] < 0.25  # 2 of 3 reps of 1 of 4 sets
    assert shown["caption"] == [e.text for e in drive.last if isinstance(e, Say)][-1]
    assert "stop" in shown["commands"] and "start" not in shown["commands"]


def test_a_failing_watcher_never_stops_the_session(caplog: pytest.LogCaptureFixture) -> None:
    from companion.screen.link import watcher
    from tests.session_driver import Driver

    drive = Driver()

    class Broken(Live):
        def update(self, **changes: object) -> None:
            raise RuntimeError("page gone")

    watch = watcher(Broken(), drive.session, drive.session.words)
    watch(drive.send(Begin()), drive.now)  # no exception
    assert "could not show" in caplog.text


@pytest.mark.parametrize(
    ("key", "typed", "meant"),
    [
        ("reminders.times", "9:00", "09:00"),
        ("reminders.times", "9.00; 17:30", "09:00, 17:30"),
        ("reminders.times", "9 17h30", "09:00, 17:30"),
        ("reminders.times", "25:00", "25:00"),  # left for the routine's check to refuse
        ("reminders.times", "soon", "soon"),
        ("speech.volume", "90", "0.9"),
        ("speech.volume", "80%", "0.8"),
        ("speech.volume", "0,5", "0.5"),
        ("speech.volume", "1", "1"),
        ("speech.rate", " 140 ", "140"),
        ("affected_side", "Left", "left"),
        ("exercise.palm_turn.reps", "12 ", "12"),
        ("name", " Ann ", "Ann"),
    ],
)
def test_forgiving_input_on_the_settings_page(key: str, typed: str, meant: str) -> None:
    from companion.screen.settings_form import tidy

    assert tidy(key, typed) == meant


def test_settings_understand_what_a_carer_types(screen: Screen, client: TestClient) -> None:
    routine_edit.init(screen.where.routine_file)
    form = _posted(
        client, **{"reminders.times": "9:00; 17.30", "speech.volume": "80%",
                   "affected_side": "Right"},
    )  # fmt: skip
    r = client.post("/care/settings", data={**form, "token": TOKEN}, follow_redirects=False)
    assert r.status_code == 303, errors(r.text)
    saved = routine.load(screen.where.routine_file)
    assert saved.reminders.times == ("09:00", "17:30")
    assert saved.speech.volume == 0.8
    assert saved.affected_side == "right"
    again = client.get("/care/settings").text
    assert 'value="09:00, 17:30"' in again  # shown back as the routine has it, no brackets


def test_other_commands_do_not_load_the_web_stack() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from companion.cli.main import build_parser; build_parser(); "
        "print(sorted(m for m in ('uvicorn', 'starlette', 'jinja2') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    field=st.sampled_from(
        ["name", "affected_side", "reminders.times", "safety.emergency_number", "speech.voice",
         "speech.rate", "speech.volume", "exercise.palm_turn.reps", "exercise.wrist_bend.sets"]
    ),
    typed=st.text(max_size=40) | st.sampled_from(["", "9" * 5000, "²", "1e999", "nan", "-0"]),
)  # fmt: skip
def test_any_text_in_any_field_never_breaks_the_page_or_the_file(
    tmp_path_factory: pytest.TempPathFactory, field: str, typed: str
) -> None:
    home = tmp_path_factory.mktemp("fuzz")
    screen = new_screen(home)
    client = client_for(screen)
    routine_edit.init(screen.where.routine_file)
    before = screen.where.routine_file.read_bytes()
    form = _posted(client, **{field: typed})
    r = client.post("/care/settings", data={**form, "token": TOKEN}, follow_redirects=False)
    assert r.status_code in (303, 400)
    if r.status_code == 400:
        assert screen.where.routine_file.read_bytes() == before
        assert errors(r.text) or "field-error" in r.text
    else:
        routine.load(screen.where.routine_file)  # whatever was saved is a valid routine


def test_no_page_reloads_itself_and_without_javascript_the_session_is_shown_on_request(
    client: TestClient,
) -> None:
    # A page that reloads by itself moves a keyboard user's focus back to the top (WCAG 2.2.1,
    # 3.2.5): without JavaScript the session page offers a link to see the session now.
    for path in ("/", "/caregiver", "/report"):
        html = client.get(path).text
        assert 'http-equiv="refresh"' not in html.lower(), path
    noscript = re.search(r"<noscript>(.*?)</noscript>", client.get("/").text, re.S)
    assert noscript and 'href="/"' in noscript.group(1)
