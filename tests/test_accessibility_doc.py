"""docs/accessibility.md follows the W3C NAUR Note (Group Draft Note, 3 September 2022): every
requirement of the Note has its row under its own number, each row says met / partly / not met /
not applicable with how (a reason where it is not met), and every test it names exists."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "accessibility.md"
NAUR_REQS = [
    "1", "2a", "2b", "3", "4", "5", "6", "7", "8", "9", "10a", "10b", "10c", "12a", "12b",
    "13a", "13b", "13c", "13d", "14", "15", "16a", "16b", "16c", "17a", "17b",
    "18a", "18b", "18c", "18d", "19a", "19b", "19c", "20a", "20b", "20c", "20d",
    "21a", "21b", "21c", "21d", "22a", "22b", "23a", "23b", "23c", "24a", "24b", "24c", "24d",
    "25", "26", "27",
]  # fmt: skip
"""The requirements of section 6 of the Note, in its order (user need 11 has none)."""
VERDICTS = {"met", "partly", "not met", "not applicable"}


def rows() -> list[list[str]]:
    out = []
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            out.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return out


def test_every_naur_requirement_has_one_row_in_the_note_s_order() -> None:
    numbered = [r[0] for r in rows() if re.fullmatch(r"\d+[a-d]?", r[0])]
    assert numbered == NAUR_REQS
    assert any(r[0].startswith("User need 11") for r in rows())


def test_each_row_has_a_verdict_and_a_reason() -> None:
    for row in rows():
        if row[0] in ("REQ", "guidance"):
            continue
        verdict, how = (row[2], row[3]) if len(row) == 5 else (row[1], row[2])
        assert verdict in VERDICTS, row
        assert len(how.split()) >= 5, row  # how it is met, or why not


def test_every_test_named_exists() -> None:
    defined: dict[str, set[str]] = {}
    named = 0
    for row in rows():
        cell = row[-1]
        current = ""
        for file, name in re.findall(r"`(test_\w+\.py)?::?(test_\w+)`?", cell):
            current = file or current
            assert current, (name, cell)
            if current not in defined:
                source = (REPO / "tests" / current).read_text(encoding="utf-8")
                defined[current] = set(re.findall(r"^def (test_\w+)", source, re.M))
            assert name in defined[current], f"{current}::{name} does not exist"
            named += 1
    assert named > 60


def test_the_readme_shows_carers_how_a_keyboard_and_a_switch_user_run_a_session() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    carers = readme[readme.index("## For carers") : readme.index("## Set up")]
    assert "`companion session --no-listen`" in carers and "keyboard" in carers
    assert "`companion session --switch`" in carers and "switch" in carers
    assert "**With the keyboard only.**" in readme and "**With one switch.**" in readme
    shown = subprocess.run(
        [sys.executable, "-m", "companion.cli.main", "session", "--help"],
        capture_output=True, text=True, cwd=REPO, timeout=60,
    ).stdout  # fmt: skip
    shown = " ".join(shown.split())  # argparse wraps the help to the terminal
    assert "--no-listen" in shown and "--switch" in shown and "offered one at a time" in shown
