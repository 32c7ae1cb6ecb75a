"""The caregiver's routine tools: init, show, check, set, add and remove through the CLI."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from companion import files, routine
from companion.cli.main import main
from companion.errors import RoutineError
from companion.routine import descriptions as routine_doc
from companion.routine import edit as routine_edit
from companion.routine.carer_input import plain

COMMENTED = """\
# Ann's routine, set up by her daughter on Monday.
# The therapist said: keep it gentle for two weeks.
name = "Ann"   # she likes to be called Ann
affected_side = "right"

# First the warm-up.
[[exercise]]
id = "palm_turn"
reps = 8   # started low
sets = 2

# Then the wrist; the therapist wants 10 by Friday.
[[exercise]]
id = "wrist_bend"
reps = 6
# (she finds this one hard)

# ---- voice ----
[speech]
rate = 130   # slow: she hears poorly
# volume stays at the default

[safety]
emergency_number = "999"  # UK
"""


ALLOWED = {s: {k: v[1] for k, v in keys.items()} for s, keys in routine.SCHEMA.items()}
"""What each setting allows, as the error message says it."""


def cli(data_dir: Path, *args: str) -> int:
    return main(["routine", *args, "--data-dir", str(data_dir)])


def comment_lines(text: str) -> list[str]:
    """Every comment in a file, whole-line or after a value."""
    return [line[line.index("#") :].strip() for line in text.splitlines() if "#" in line]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "routine.toml").write_text(COMMENTED, encoding="utf-8")
    return tmp_path


def test_edits_keep_every_comment_and_change_only_what_was_asked(home: Path) -> None:
    path = home / "routine.toml"
    assert cli(home, "set", "speech.rate", "140") == 0
    assert cli(home, "set", "exercise.wrist_bend.reps", "12") == 0
    assert cli(home, "set", "reminders.times", "09:00,17:30") == 0
    assert cli(home, "set", "input.switch", "yes") == 0
    assert cli(home, "add", "bottle_grasp", "--reps", "7", "--sets", "3") == 0
    assert cli(home, "add", "wrist_slide", "--position", "1") == 0
    text = path.read_text(encoding="utf-8")
    for comment in comment_lines(COMMENTED):
        assert comment in text, comment
    r = routine.load(path)
    assert r.speech.rate == 140
    assert r.input.switch is True
    assert r.reminders.times == ("09:00", "17:30")
    assert [e.id for e in r.exercises] == ["wrist_slide", "palm_turn", "wrist_bend", "bottle_grasp"]
    by_id = {e.id: e for e in r.exercises}
    assert (by_id["wrist_bend"].reps, by_id["palm_turn"].reps) == (12, 8)
    assert (by_id["bottle_grasp"].reps, by_id["bottle_grasp"].sets) == (7, 3)
    assert r.name == "Ann" and r.safety.emergency_number == "999"
    # removing exercises keeps the comments that sat between them
    assert cli(home, "remove", "wrist_bend") == 0
    assert cli(home, "remove", "wrist_slide") == 0
    text = path.read_text(encoding="utf-8")
    for comment in comment_lines(COMMENTED):
        assert comment in text, comment
    assert [e.id for e in routine.load(path).exercises] == ["palm_turn", "bottle_grasp"]


@pytest.mark.parametrize(
    ("args", "field", "allowed"),
    [
        (("set", "speech.rate", "400"), "speech.rate", ALLOWED["speech"]["rate"]),
        (("set", "speech.volume", "loud"), "speech.volume", ALLOWED["speech"]["volume"]),
        (("set", "exercise.wrist_bend.reps", "0"), "exercise[2].reps", ALLOWED["exercise"]["reps"]),
        (("set", "reminders.times", "25:00"), "reminders.times", ALLOWED["reminders"]["times"]),
        (("set", "affected_side", "middle"), "affected_side", ALLOWED[""]["affected_side"]),
        (("set", "input.switch", "maybe"), "input.switch", ALLOWED["input"]["switch"]),
        (("set", "reminders.timezone", "Mars/Olympus"), "reminders.timezone", "Europe/London"),
        (("set", "speech.pitch", "3"), "speech.pitch", "rate, volume, voice"),
        (("set", "exercise.coin_drop.reps", "5"), "exercise.coin_drop.reps", "routine add"),
        (("add", "wrist_bend"), "wrist_bend", "already"),
        (("add", "juggling"), "juggling", "palm_turn"),
        (("add", "coin_drop", "--sets", "9"), "exercise[3].sets", ALLOWED["exercise"]["sets"]),
        (("remove", "finger_thumb"), "finger_thumb", "not in the routine"),
    ],
)
def test_invalid_edit_is_refused_and_file_is_byte_for_byte_unchanged(
    home: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], field: str, allowed: str
) -> None:
    path = home / "routine.toml"
    before, stat = path.read_bytes(), path.stat()
    assert cli(home, *args) == 3
    err = capsys.readouterr().err
    assert field in err and plain(allowed) in err  # as the carer types it, no brackets
    assert path.read_bytes() == before
    assert path.stat().st_mtime_ns == stat.st_mtime_ns and path.stat().st_ino == stat.st_ino
    # no temporary file is left; the edit lock's file stays, empty once let go
    assert sorted(p.name for p in home.iterdir()) == ["routine.toml", "routine.toml.lock"]
    assert (home / "routine.toml.lock").stat().st_size == 0


def test_value_errors_name_the_line_of_the_setting(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(home, "set", "speech.rate", "20") == 3
    err = capsys.readouterr().err
    line = int(re.search(r"line (\d+)", err).group(1))  # type: ignore[union-attr]
    assert COMMENTED.splitlines()[line - 1].startswith("rate =")


def test_the_last_exercise_cannot_be_removed(tmp_path: Path) -> None:
    path = tmp_path / "routine.toml"
    path.write_text('[[exercise]]\nid = "palm_turn"\n', encoding="utf-8")
    assert cli(tmp_path, "remove", "palm_turn") == 3
    assert path.read_text(encoding="utf-8") == '[[exercise]]\nid = "palm_turn"\n'


def test_broken_toml_is_refused_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "routine.toml"
    path.write_bytes(b'name = "Ann"\n\n[speech\nrate = 140\n')
    assert cli(tmp_path, "set", "speech.rate", "150") == 3
    assert "line 3" in capsys.readouterr().err
    assert path.read_bytes() == b'name = "Ann"\n\n[speech\nrate = 140\n'
    assert cli(tmp_path, "check") == 3
    assert "line 3" in capsys.readouterr().err


def test_init_writes_a_commented_file_equal_to_the_defaults(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(tmp_path, "init") == 0
    text = (tmp_path / "routine.toml").read_text(encoding="utf-8")
    assert routine.from_text(text) == routine.default()
    lines = text.splitlines()
    for section, keys in routine.SCHEMA.items():
        for key in keys:
            comment = f"{routine_doc.describe(section, key)}"
            assert any(comment in line and line.lstrip().startswith("#") for line in lines), key
    # every plain setting has its comment on the line just above it
    for n, line in enumerate(lines):
        m = re.match(r"^(\w+) = ", line)
        if m and not lines[n - 1].startswith("[[") and m.group(1) not in routine.SCHEMA["exercise"]:
            assert lines[n - 1].startswith("# "), line
    assert cli(tmp_path, "check") == 0
    assert "is valid" in capsys.readouterr().out


def test_init_never_overwrites_without_force(tmp_path: Path) -> None:
    path = tmp_path / "routine.toml"
    path.write_text(COMMENTED, encoding="utf-8")
    assert cli(tmp_path, "init") == 3
    assert path.read_text(encoding="utf-8") == COMMENTED
    assert cli(tmp_path, "init", "--force") == 0
    assert routine.load(path) == routine.default()


def test_set_without_a_file_starts_from_the_commented_template(tmp_path: Path) -> None:
    assert cli(tmp_path, "set", "name", "Bob") == 0
    text = (tmp_path / "routine.toml").read_text(encoding="utf-8")
    assert routine.from_text(text).name == "Bob"
    assert routine_doc.describe("speech", "rate") in text


def test_show_prints_the_effective_routine_as_toml(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(home, "show") == 0
    shown = tomllib.loads(capsys.readouterr().out)
    merged = routine.merge(routine.defaults_data(), tomllib.loads(COMMENTED))
    assert shown == merged
    assert shown["speech"]["volume"] == routine.defaults_data()["speech"]["volume"]


def test_check_reports_field_line_and_allowed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "routine.toml").write_text(
        '[[exercise]]\nid = "palm_turn"\n\n[[exercise]]\nid = "wrist_bend"\nsets = 9\n'
    )
    assert cli(tmp_path, "check") == 3
    err = capsys.readouterr().err
    assert "exercise[2].sets (line 6)" in err and ALLOWED["exercise"]["sets"] in err


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_replace(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        files.write_atomic(home / "routine.toml", "name = 'x'\n")
    assert (home / "routine.toml").read_text(encoding="utf-8") == COMMENTED
    assert sorted(p.name for p in home.iterdir()) == ["routine.toml"]


@pytest.mark.parametrize(
    ("raw", "example", "expected"),
    [
        ("140", 150, 140),
        ("0.5", 0.9, 0.5),
        ("2", 0.9, 2),
        ("yes", False, True),
        ("off", True, False),
        ("911", "", "911"),
        ('["08:00", "12:00"]', ["10:30"], ["08:00", "12:00"]),
        ("08:00, 12:00", ["10:30"], ["08:00", "12:00"]),
        ("fast", 150, "fast"),
    ],
)
def test_values_are_read_as_the_setting_s_type(raw: str, example: object, expected: object) -> None:
    assert routine_edit.parse_value(raw, example) == expected


def test_the_installed_command_runs_end_to_end(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("companion")
    run = subprocess.run(
        [str(exe), "--data-dir", str(tmp_path), "routine", "set", "speech.rate", "999"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 3 and "speech.rate" in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "routine.toml").exists()


def test_routine_error_keeps_field_and_line() -> None:
    with pytest.raises(RoutineError) as info:
        routine.from_text("\n\n[speech]\nrate = 'fast'\n")
    assert info.value.field == "speech.rate" and info.value.line == 4


def test_turning_every_input_off_is_refused(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(home, "set", "input.voice", "false") == 0
    assert cli(home, "set", "input.switch", "off") == 0
    before = (home / "routine.toml").read_bytes()
    assert cli(home, "set", "input.keyboard", "no") == 3
    assert "could not answer" in capsys.readouterr().err
    assert (home / "routine.toml").read_bytes() == before


def test_a_file_saved_by_windows_notepad_loads_and_edits(tmp_path: Path) -> None:
    path = tmp_path / "routine.toml"
    path.write_bytes(
        b'\xef\xbb\xbf# from Notepad\r\nname = "Ann"\r\n\r\n[speech]\r\nrate = 130\r\n'
    )
    assert routine.load(path).name == "Ann"
    assert cli(tmp_path, "set", "speech.rate", "140") == 0
    data = path.read_bytes()
    assert b"# from Notepad\r\n" in data and b"rate = 140\r\n" in data
    assert routine.load(path).speech.rate == 140


def test_a_file_that_is_not_text_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "routine.toml"
    path.write_bytes(b"\xff\xfe\x00n\x00a\x00m\x00e")
    assert cli(tmp_path, "check") == 3
    assert cli(tmp_path, "set", "name", "Ann") == 3
    assert "cannot read the routine file" in capsys.readouterr().err
    assert path.read_bytes() == b"\xff\xfe\x00n\x00a\x00m\x00e"


COMPANION = Path(sys.executable).with_name("companion")
EDITS = {
    "speech.rate": ("141", 141),
    "speech.volume": ("0.7", 0.7),
    "listening.end_silence_seconds": ("2.1", 2.1),
    "reminders.snooze_minutes": ("17", 17),
    "progression.days_needed": ("5", 5),
    "progression.max_pain": ("4", 4),
    "exercise.palm_turn.reps": ("11", 11),
    "exercise.wrist_bend.sets": ("3", 3),
}


def _set(data_dir: Path, key: str, value: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(COMPANION), "--data-dir", str(data_dir), "routine", "set", key, value],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _value(data: dict[str, object], key: str) -> object:
    parts = key.split(".")
    if parts[0] == "exercise":
        items = data["exercise"]
        assert isinstance(items, list)
        return next(e for e in items if e["id"] == parts[1])[parts[2]]
    node: object = data
    for part in parts:
        assert isinstance(node, dict)
        node = node[part]
    return node


@pytest.mark.timeout(600)
def test_edits_made_at_the_same_time_are_all_kept(tmp_path: Path) -> None:
    for round_ in range(2):
        home = tmp_path / f"round{round_}"
        home.mkdir()
        (home / "routine.toml").write_text(COMMENTED, encoding="utf-8")
        procs = [_set(home, key, raw) for key, (raw, _) in EDITS.items()]
        for p in procs:
            _out, err = p.communicate(timeout=120)
            assert p.returncode == 0, err
        text = (home / "routine.toml").read_text(encoding="utf-8")
        data = tomllib.loads(text)
        for key, (_, want) in EDITS.items():
            assert _value(data, key) == want, (round_, key, text)
        assert comment_lines(text)[:2] == comment_lines(COMMENTED)[:2]


def test_an_edit_waits_for_another_then_gives_up_plainly_changing_nothing(
    home: Path,
) -> None:
    import fcntl

    lock = routine_edit.lock_file(home / "routine.toml")
    before = (home / "routine.toml").read_bytes()
    with lock.open("a") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        waiting = _set(home, "speech.rate", "141")
        with pytest.raises(subprocess.TimeoutExpired):
            waiting.wait(timeout=2.0)  # still waiting for the other edit
        assert (home / "routine.toml").read_bytes() == before
        fcntl.flock(held.fileno(), fcntl.LOCK_UN)
        _out, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 0, err
    assert routine.load(home / "routine.toml").speech.rate == 141

    before = (home / "routine.toml").read_bytes()
    with lock.open("a") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        given_up = _set(home, "speech.rate", "150")
        _out, err = given_up.communicate(timeout=routine_edit.EDIT_WAIT_SECONDS + 60)
    assert given_up.returncode == 7
    assert "being saved right now" in err and "nothing was changed" in err
    assert len(err.strip().splitlines()) <= 2 and "Traceback" not in err
    assert (home / "routine.toml").read_bytes() == before


@pytest.mark.parametrize(
    ("args", "key", "meant"),
    [
        (("reminders.times", "9:00, 17.30"), ("reminders", "times"), ["09:00", "17:30"]),
        (("affected_side", "Left"), ("affected_side",), "left"),
        (("speech.volume", "90"), ("speech", "volume"), 0.9),
        (("speech.volume", "0,5"), ("speech", "volume"), 0.5),
        (("exercise.wrist_bend.seconds_per_rep", "2,5"), ("exercise", 1, "seconds_per_rep"), 2.5),
        (("exercise.Wrist bend.reps", "12"), ("exercise", 1, "reps"), 12),
        (("Speech.Rate", "140"), ("speech", "rate"), 140),
    ],
)
def test_set_understands_what_a_carer_types(
    home: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, str], key: tuple, meant: object
) -> None:
    assert cli(home, "set", *args) == 0
    said = capsys.readouterr().out
    assert "[" not in said and "'" not in said  # no Python (or TOML) list in the message
    node: object = tomllib.loads((home / "routine.toml").read_text(encoding="utf-8"))
    for part in key:
        node = node[part]  # type: ignore[index]
    assert node == meant
    routine.load(home / "routine.toml")  # still a valid routine
    assert comment_lines(COMMENTED) == comment_lines((home / "routine.toml").read_text("utf-8"))


def test_set_says_times_as_typed(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(home, "set", "reminders.times", "9:00,17:30") == 0
    assert "Set reminders.times to 09:00, 17:30 in" in capsys.readouterr().out


def test_an_exercise_may_be_named_by_its_title(home: Path) -> None:
    assert cli(home, "add", "Bottle grasp", "--reps", "7") == 0
    r = routine.load(home / "routine.toml")
    assert [e.id for e in r.exercises][-1] == "bottle_grasp" and r.exercises[-1].reps == 7
    assert cli(home, "set", "exercise.bottle grasp.sets", "3") == 0
    assert routine.load(home / "routine.toml").exercises[-1].sets == 3
    assert cli(home, "remove", "BOTTLE GRASP") == 0
    assert "bottle_grasp" not in [e.id for e in routine.load(home / "routine.toml").exercises]


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (("reminders.times", ""), "at least one reminder time"),
        (("reminders.times", " , "), "at least one reminder time"),
        (("speech.voice", "piper:nobody"), "is not installed"),
    ],
)
def test_values_that_would_break_a_day_are_refused_with_the_reason(
    home: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, str], reason: str
) -> None:
    path = home / "routine.toml"
    before = path.read_bytes()
    assert cli(home, "set", *args) == 3
    err = capsys.readouterr().err
    assert reason in err and "Nothing was changed" in err and "Traceback" not in err
    assert err.count("\n") <= 2
    assert path.read_bytes() == before


def test_refused_lists_never_show_python_values(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(home, "set", "reminders.times", "9:00, 25:00") == 3
    err = capsys.readouterr().err
    assert "09:00, 25:00 is not allowed" in err
    assert "['" not in err and '["' not in err


def test_the_screen_uses_the_same_forgiving_parser(tmp_path: Path) -> None:
    from companion.routine import carer_input as routine_input
    from companion.screen import settings_form

    assert settings_form.tidy is routine_input.tidy
    path = tmp_path / "routine.toml"
    routine_edit.init(path)
    before = path.read_bytes()
    form = settings_form.values(settings_form.effective(path))
    errors = settings_form.check(path, {**form, "reminders.times": " "})
    assert "at least one reminder time" in errors["reminders.times"]
    outcome = settings_form.save(path, {**form, "speech.voice": "piper:nobody"})
    assert not outcome.saved and "is not installed" in outcome.errors["speech.voice"]
    assert path.read_bytes() == before
