"""``companion devices`` against the real PulseAudio test server (through PortAudio/ALSA)."""

from __future__ import annotations

import json

import pytest

from companion.cli.main import main
from tests.pulse import PulseServer

pytestmark = pytest.mark.audio


def test_lists_microphones_and_speakers_with_the_default_marked(
    pulse_server: PulseServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["devices"]) == 0
    out = capsys.readouterr().out
    mics, speakers = out.split("Speakers (output):")
    assert mics.startswith("Microphones (input):")
    rows = [line.split() for line in mics.splitlines()[1:] if line.strip()]
    names = {r[-6]: r for r in rows}  # "* 1 default 32 ch 44100 Hz ALSA"
    assert {"pulse", "default"} <= set(names)
    assert names["default"][0] == "*"  # the default input is marked
    assert "Hz" in names["pulse"] and "ch" in names["pulse"]
    assert "pulse" in speakers and "* = used by default" in out


def test_json_has_one_object_per_device(
    pulse_server: PulseServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["devices", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    by_name = {r["name"]: r for r in rows}
    assert by_name["default"]["default_input"] is True
    assert by_name["pulse"]["inputs"] > 0 and by_name["pulse"]["default_rate"] > 0
    assert sorted(r["index"] for r in rows) == list(range(len(rows)))
