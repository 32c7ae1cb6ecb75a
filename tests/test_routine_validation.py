"""Routine values that must never get in: deep nesting, repeated reminder times, an emergency
number that is not a number, and control characters (terminal escapes) in text; by file and CLI."""

from __future__ import annotations

import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
import tomlkit
from hypothesis import given, settings
from hypothesis import strategies as st

from companion import routine
from companion.cli.main import main
from companion.errors import ExitStatus, RoutineError

DEEP = {
    "lists": "name = " + "[" * 1000 + "]" * 1000 + "\n",
    "inline tables": "name = " + "{a = " * 1000 + "1" + "}" * 1000 + "\n",
    "dotted name": "name." + ".".join(["a"] * 20000) + " = 1\n",
    "dotted table": "[speech." + ".".join(["a"] * 20000) + "]\n",
    "deep times": "[reminders]\ntimes = " + "[" * 800 + "]" * 800 + "\n",
}


def companion(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "companion.cli.main", "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("text", DEEP.values(), ids=DEEP.keys())
def test_a_deeply_nested_routine_gets_a_plain_message_everywhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    path = tmp_path / "routine.toml"
    path.write_text(text, encoding="utf-8")
    before = path.read_bytes()
    result = companion(tmp_path, "routine", "check")
    assert result.returncode == ExitStatus.BAD_INPUT, result.stderr[-500:]
    assert "Traceback" not in result.stderr and "RecursionError" not in result.stderr
    said = [line for line in result.stderr.splitlines() if not line.startswith("WARNING")]
    assert said[0].startswith("companion: ") and len(said) <= 2, said
    for args in (
        ("routine", "show"),
        ("routine", "set", "speech.rate", "140"),
        ("history",),
        ("plan",),
        ("session", "--script", "/dev/null", "--no-voice"),
    ):
        assert main(["--data-dir", str(tmp_path), *args]) == ExitStatus.BAD_INPUT, args
        out, err = capsys.readouterr()
        assert out == "" and err.startswith("companion: ") and len(err) < 400, (args, err)
        assert path.read_bytes() == before


@pytest.mark.parametrize(
    "times",
    [["09:00", "09:00"], ["08:00", "12:30", "08:00"], ["17:30", "09:00", "17:30", "09:00"]],
)
def test_a_reminder_time_given_twice_is_refused_by_file_and_by_set(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], times: list[str]
) -> None:
    listed = ", ".join(f'"{t}"' for t in times)
    with pytest.raises(RoutineError) as info:
        routine.from_text(f"# mine\n[reminders]\ntimes = [{listed}]\n")
    assert info.value.field == "reminders.times" and info.value.line == 3
    assert "listed twice" in str(info.value)

    path = tmp_path / "routine.toml"
    path.write_text('name = "Ann"\n', encoding="utf-8")
    assert main(["--data-dir", str(tmp_path), "routine", "set", "reminders.times", ",".join(times)])
    err = capsys.readouterr().err
    assert "reminders.times" in err and "listed twice" in err
    assert path.read_text(encoding="utf-8") == 'name = "Ann"\n'


def test_a_reminder_time_must_be_exactly_hh_mm() -> None:
    for bad in ('"09:00\\n"', '"09:00 "', '"9:00"', '"24:00"'):
        with pytest.raises(RoutineError) as info:
            routine.from_text(f"[reminders]\ntimes = [{bad}]\n")
        assert info.value.field == "reminders.times" and info.value.line == 2


def test_different_reminder_times_are_kept(tmp_path: Path) -> None:
    assert (
        main(["--data-dir", str(tmp_path), "routine", "set", "reminders.times", "09:00,17:30"]) == 0
    )
    assert routine.load(tmp_path / "routine.toml").reminders.times == ("09:00", "17:30")


GOOD_NUMBERS = ["", "999", "112", "000", "15", "911", "+44 (0)20 7946 0000", "1-800-555-0199"]
BAD_NUMBERS = [
    "call Bob",
    "999; rm -rf ~",
    "1",
    "+",
    "12+34",
    "9" * 16,
    "1 " * 11,
    "\x1b[31m999",
    "999\n",
    "nine nine nine",
]


@pytest.mark.parametrize("number", GOOD_NUMBERS)
def test_a_phone_number_is_accepted_as_the_emergency_number(tmp_path: Path, number: str) -> None:
    assert (
        main(["--data-dir", str(tmp_path), "routine", "set", "safety.emergency_number", number])
        == 0
    )
    assert routine.load(tmp_path / "routine.toml").safety.emergency_number == number


@pytest.mark.parametrize("number", BAD_NUMBERS)
def test_anything_else_is_refused_as_the_emergency_number(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], number: str
) -> None:
    path = tmp_path / "routine.toml"
    path.write_text("[safety]\npre_session_check = true\n", encoding="utf-8")
    before = path.read_bytes()
    args = ["--data-dir", str(tmp_path), "routine", "set", "safety.emergency_number", number]
    assert main(args) == ExitStatus.BAD_INPUT
    err = capsys.readouterr().err
    assert "safety.emergency_number" in err and "phone number" in err
    assert "\x1b" not in err and path.read_bytes() == before
    with pytest.raises(RoutineError) as info:
        routine.from_text(f"[safety]\nemergency_number = {tomlkit.item(number).as_string()}\n")
    assert info.value.field == "safety.emergency_number" and info.value.line == 2


BAD_NAMES = [
    "Ann\x1b[2J",  # clears the screen
    "\x1b]0;owned\x07Ann",  # sets the terminal title
    "Ann\x9b31m",  # the one-byte C1 escape
    "Ann\nBob",
    "Ann\rBob",
    "Ann\tBob",
    "\u202eAnn",  # right-to-left override
    "Ann\u2028Bob",  # line separator
]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_control_characters_in_the_name_are_refused_by_set_and_by_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    path = tmp_path / "routine.toml"
    path.write_text('name = "Ann"\n', encoding="utf-8")
    before = path.read_bytes()
    assert main(["--data-dir", str(tmp_path), "routine", "set", "name", name]) == 3
    err = capsys.readouterr().err
    assert "name" in err and "control characters" in err
    assert not any(c in err for c in "\x1b\x9b\x07\r\u202e\u2028")
    assert path.read_bytes() == before
    path.write_text(f"name = {tomlkit.item(name).as_string()}\n", encoding="utf-8")
    for args in (("routine", "show"), ("session", "--script", "/dev/null", "--no-voice")):
        assert main(["--data-dir", str(tmp_path), *args]) == ExitStatus.BAD_INPUT
        out, err = capsys.readouterr()
        assert out == "" and "name (line 1)" in err and "\x1b" not in err


@pytest.mark.parametrize("name", ["Ann", "José", "O'Brien", "Zoë-Marie", "李明", "Mr. Smith Jr"])
def test_ordinary_names_are_kept(tmp_path: Path, name: str) -> None:
    assert main(["--data-dir", str(tmp_path), "routine", "set", "name", name]) == 0
    assert routine.load(tmp_path / "routine.toml").name == name


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_any_text_as_name_or_number_loads_only_if_it_shows_as_written(text: str) -> None:
    value = tomlkit.item(text).as_string()
    for setting, field in (
        ("name", "name"),
        ("[safety]\nemergency_number", "safety.emergency_number"),
    ):
        try:
            r = routine.from_text(f"{setting} = {value}\n")
        except RoutineError as exc:
            assert exc.field == field
            assert "\x1b" not in str(exc) and "\n" not in str(exc).split("\n  ")[0]
            continue
        got = r.name if field == "name" else r.safety.emergency_number
        assert got == text
        assert not any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in got)
        if field != "name":
            assert set(got) <= set("0123456789 +-()")
