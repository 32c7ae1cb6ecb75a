"""`companion routine remove` of an exercise not in the routine names the routine's exercises
(the ones that can be removed), not the whole library (found in a user trial:
`routine remove nothing_here` listed all nine)."""

from __future__ import annotations

from pathlib import Path

import pytest

from companion import library
from companion.cli.main import main


@pytest.mark.parametrize(
    ("name", "why"),
    [("nothing_here", "unknown exercise"), ("finger_thumb", "is not in the routine")],
)
def test_remove_of_an_exercise_not_in_the_routine_lists_the_routines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, why: str
) -> None:
    assert main(["routine", "init", "--data-dir", str(tmp_path)]) == 0
    assert main(["routine", "add", "coin_drop", "--data-dir", str(tmp_path)]) == 0
    path = tmp_path / "routine.toml"
    before = path.read_bytes()
    capsys.readouterr()
    assert main(["routine", "remove", name, "--data-dir", str(tmp_path)]) == 3
    err = capsys.readouterr().err
    assert f"{name}: {why}; remove one of palm_turn, wrist_bend, wrist_slide, coin_drop" in err
    others = [e for e in library.BY_ID if e not in ("palm_turn", "wrist_bend", "wrist_slide")]
    assert not any(e in err for e in others if e not in ("coin_drop", name)), err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert path.read_bytes() == before
