"""How well voice commands worked, counted from a real event log written by the session's
own EventLog (and read back by `companion voice list`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from companion.cli.main import main
from companion.eventlog import EventLog
from companion.user_voice.usage import read_usage

TODAY = dt.datetime.now().astimezone().replace(microsecond=0)


def write_log(path: Path) -> None:
    log = EventLog(path)
    old = TODAY - dt.timedelta(days=30)
    log.write(old, "command", command="start", source="voice", text="start", confidence=0.9)
    log.write(old, "say", text="I heard no. Is that right?", key="unsure")
    log.write(old, "command", command="no", source="voice", text="no", confidence=0.9)
    for answer in ("no", "yes", "no", "no"):  # four questions, three wrong guesses
        log.write(TODAY, "say", text="I heard next. Is that right? Say yes or no.", key="unsure")
        log.write(TODAY, "command", command=answer, source="voice", text=answer, confidence=0.8)
        log.write(TODAY, "say", text="Please say it again.", key="say_again")
    log.write(TODAY, "command", command="no", source="voice", text="no", confidence=0.9)
    log.write(TODAY, "command", command="start", source="keyboard", text="space", confidence=1)
    log.write(TODAY, "command", command="start", source="script", text="start", confidence=1)
    log.close()
    with path.open("a", encoding="utf-8") as f:
        f.write("a line cut short by a crash\t{\n")


def test_voice_use_is_counted_from_the_event_log(tmp_path: Path) -> None:
    path = tmp_path / "events.log"
    write_log(path)
    use = read_usage(path, TODAY.date() - dt.timedelta(days=13))
    assert (use.by_voice, use.by_keys, use.asked, use.wrong) == (5, 1, 4, 3)
    assert use.teaching_would_help
    everything = read_usage(path, TODAY.date() - dt.timedelta(days=60))
    assert (everything.by_voice, everything.asked, everything.wrong) == (7, 5, 4)
    assert read_usage(tmp_path / "missing.log", TODAY.date()).by_voice == 0


def test_voice_list_reports_recent_use(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_log(tmp_path / "events.log")
    assert main(["voice", "list", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Last 14 days: 5 commands by voice, 1 by keys" in out
    assert "asked 'Is that right?' 4 times, wrong 3 times" in out
    assert "teaching your voice should help" in out
    assert main(["voice", "list", "--data-dir", str(tmp_path), "--days", "0"]) == 3
