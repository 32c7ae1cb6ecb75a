"""``companion`` with no arguments: the screen where a browser can show, else one sentence."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from companion.cli import screen
from companion.cli.main import START_HINT, main


def test_without_a_display_it_says_in_one_sentence_what_to_run(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    proc = subprocess.run(
        [sys.executable, "-m", "companion.cli.main"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**env, "COMPANION_DATA_DIR": str(tmp_path / "data")},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == START_HINT
    assert proc.stdout.count("\n") == 1 and START_HINT.count(". ") == 0  # one sentence
    assert "companion screen" in START_HINT and "companion session" in START_HINT
    assert "usage:" not in proc.stdout and proc.stderr == ""


def test_with_a_display_it_opens_the_screen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISPLAY", ":0")
    ran: list[argparse.Namespace] = []

    def fake_run(args: argparse.Namespace) -> int:  # the real one serves until Ctrl-C
        ran.append(args)
        return 0

    monkeypatch.setattr(screen, "run", fake_run)
    assert main(["--data-dir", str(tmp_path)]) == 0
    [args] = ran
    assert args.command == "screen" and args.no_browser is False and args.data_dir == str(tmp_path)
