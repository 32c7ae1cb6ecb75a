"""Slips of the keyboard at the command line found in a user trial: the plain message says each
thing once. Real runs of the command (in-process ``main``), real data folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from companion.cli.main import main


def test_a_plan_date_too_far_ahead_is_named_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--data-dir", str(tmp_path / "d"), "plan", "--date", "9999-12-31"])
    err = capsys.readouterr().err
    assert code == 3
    first = err.splitlines()[0]
    assert first.startswith("companion: --date must be a day from 2000-01-01 to ")
    assert first.endswith(", not 9999-12-31."), first
    latest = first.removeprefix("companion: --date must be a day from 2000-01-01 to ").split(",")[0]
    assert "(" not in latest  # before: "to 2027-12-06 (2027-12-06)"


def test_a_session_date_in_the_future_says_today_and_its_date(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--data-dir", str(tmp_path / "d"), "session", "--date", "2999-01-01"])
    err = capsys.readouterr().err
    assert code == 3
    assert "--date must be a day from 2000-01-01 to today (" in err
    assert "), not 2999-01-01." in err
