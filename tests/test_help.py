"""``companion help``: every command with its words and keys, and the stroke warning signs."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from companion import commands
from companion.cli.main import main
from companion.commands import Command
from companion.inputs import keymap
from companion.paths import prompts_dir

SAFETY = tomllib.loads((prompts_dir() / "en" / "safety.toml").read_text(encoding="utf-8"))


def help_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["help", "--data-dir", str(tmp_path)]) == 0
    return capsys.readouterr().out


def test_every_command_is_listed_with_its_words_and_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = help_text(tmp_path, capsys)
    entries: list[str] = []  # one per command: wrapped lines joined back together
    for line in text.splitlines():
        if line.startswith("    ") and entries:
            entries[-1] += " " + line.strip()
        elif line.startswith("  ") and ": say " in line:
            entries.append(line.strip())
    vocab = commands.vocabulary("en")
    assert len(entries) == len(Command)
    for cmd, phrases in vocab.phrases.items():
        (entry,) = [e for e in entries if f'say "{phrases[0]}"' in e]
        for phrase in phrases:
            assert f'"{phrase}"' in entry, (cmd, phrase)
        keys = {k for k, c in keymap.KEYS.items() if c is cmd}
        for key in keys:
            name = {"\x1b": "ESC"}.get(key, key)
            assert f"key {name}" in entry or f"or {name}" in entry, (cmd, key, entry)
        if not keys:
            assert "; key" not in entry or cmd is Command.NO, entry
    out = " ".join(text.split())
    for n in range(11):
        assert vocab.numbers[n][0] in out
    assert {c for c in Command if c is not Command.NUMBER} <= set(vocab.phrases)


def test_warning_signs_name_face_arm_speech_and_the_routine_s_number(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "routine.toml").write_text('[safety]\nemergency_number = "112"\n')
    out = help_text(tmp_path, capsys)
    signs = out[out.index("STROKE WARNING SIGNS") :]
    for word in ("face", "arm", "speech"):
        assert word in signs.lower()
    for line in SAFETY["warning_sign_list"]:
        assert line.format(emergency_number="112") in signs
    assert "call 112" in signs


def test_without_a_number_the_fallback_is_used(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = help_text(tmp_path, capsys)
    assert f"call {SAFETY['emergency_fallback']}" in out


def test_help_still_shows_the_signs_when_the_routine_is_broken(tmp_path: Path) -> None:
    (tmp_path / "routine.toml").write_text("speech = 3\n[[[")
    run = subprocess.run(
        [str(Path(sys.executable).with_name("companion")), "help", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0
    assert "STROKE WARNING SIGNS" in run.stdout
    assert f"call {SAFETY['emergency_fallback']}" in run.stdout
    assert "routine" in run.stderr and "Traceback" not in run.stderr


def test_help_on_a_command_shows_its_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["help", "routine"])
    assert info.value.code == 0
    assert "usage: companion routine" in capsys.readouterr().out


def test_safety_wording_has_what_the_session_needs() -> None:
    from companion.prompts import placeholders

    questions = SAFETY["questions"]
    assert len(questions) >= 3 and all(q.endswith("?") for q in questions)
    said = " ".join(questions).lower()
    for topic in ("chest pain", "dizzy", "6"):
        assert topic in said
    for key in ("stop_kindly", "warning_signs"):
        assert placeholders(SAFETY[key]) == {"emergency_number"}, key
    signs = SAFETY["warning_signs"].lower()
    assert all(word in signs for word in ("face", "arm", "speech"))
    for key in ("intro", "all_clear", "emergency_fallback"):
        assert SAFETY[key] and not placeholders(SAFETY[key])
