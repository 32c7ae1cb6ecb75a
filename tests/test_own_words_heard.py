"""The user's own words (the routine's [vocabulary], issue 20): set by the caregiver with
`routine set` (checked: one meaning, short, a word the recogniser can say), shown by `routine
show`, taught with `voice teach` / `voice add` for any command, and heard by the user's own
recordings when the recogniser misses them (``own_word_judge``), never from other words.

The user here is a real Speech Commands speaker whose "sore" (for it hurts) is their "off":
the recogniser and the reader hear "off", never "sore", until it is taught."""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from companion import commands, routine
from companion.audio import wavfile
from companion.classifier.choose import make_classifier
from companion.classifier.embedding import pooled
from companion.classifier.word_classifier import WordClassifier
from companion.cli.main import main
from companion.commands import Command, Context
from companion.listen import offline
from companion.recognisers.choose import make_engine, make_reader
from companion.user_voice.own_word_judge import OwnWordJudge, own_word_heard
from companion.user_voice.voice_profile import VoiceProfile
from companion.user_voice.word_recording import RecordingProblem, trimmed
from tests.conftest import speech_data

SPEAKER = "1acc97de"
"""Five recordings of "off": the first two are taught, the other three are heard."""
NOW = dt.datetime(2026, 12, 5, 10, 0, 0)


def off(take: int) -> Path:
    return speech_data() / "commands" / "off" / f"{SPEAKER}_nohash_{take}.wav"


def pcm(path: Path) -> bytes:
    return wavfile.read(path, 16000)


def others() -> list[Path]:
    """Every clip of the shared recordings that is not "off": the command words, the other
    words, digits and noise, of every speaker (the user's own other words among them)."""
    root = speech_data() / "commands"
    return sorted(
        f for d in root.iterdir() if d.is_dir() and d.name != "off" for f in d.glob("*.wav")
    )


def teach_sore(data: Path) -> None:
    """The caregiver adds "sore" for it hurts and teaches the user's two recordings of it."""
    assert main(["routine", "set", "vocabulary.hurts", "sore", "--data-dir", str(data)]) == 0
    assert main(["voice", "add", "--data-dir", str(data), "sore", str(off(0)), str(off(1))]) == 0


def test_the_caregiver_sets_checked_words_the_routine_shows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """On the old code "xqzzy" was accepted: a word the recogniser cannot say, never heard."""
    data = ["--data-dir", str(tmp_path)]
    assert main(["routine", "init", "--emergency-number", "999", *data]) == 0
    file = tmp_path / "routine.toml"
    assert main(["routine", "set", "vocabulary.hurts", "sore, aching", *data]) == 0
    assert main(["routine", "set", "vocabulary.stop", "halt", *data]) == 0
    before = file.read_bytes()
    capsys.readouterr()
    for key, value, why in (
        ("vocabulary.stop", "xqzzy", "the recogniser cannot say 'xqzzy'"),
        ("vocabulary.repeat", "stop", "'stop' already means stop"),
        ("vocabulary.repeat", "say it once more please", "up to 4 words"),
        ("vocabulary.stop", "h4lt", "letters, spaces, apostrophes"),
        ("vocabulary.shout", "hey", "no such setting"),
    ):
        assert main(["routine", "set", key, value, *data]) == 3, value
        err = capsys.readouterr().err
        assert why in err and "Traceback" not in err and len(err.strip().splitlines()) <= 2, err
        assert file.read_bytes() == before  # left byte-identical
    assert "# ---- The user's own words for commands ----" in file.read_text("utf-8")
    assert main(["routine", "show", *data]) == 0
    shown = capsys.readouterr().out
    assert 'hurts = ["sore", "aching"]' in shown and 'stop = ["halt"]' in shown
    chosen = routine.load(file)
    words = commands.user_words(chosen.vocabulary.pairs)
    assert words == {Command.STOP: ("halt",), Command.HURTS: ("sore", "aching")}
    vocab = commands.vocabulary("en").with_words(words)
    live = vocab.phrases_for(commands.CONTEXTS[Context.COUNTING])
    assert live["sore"].command is Command.HURTS and live["halt"].command is Command.STOP


def test_any_own_word_is_taught_listed_and_forgotten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """ "sore" (it hurts: no class of the classifier) is kept as the user's own word; on the
    old code `voice add sore` was refused and `voice teach` left such words out."""
    teach_sore(tmp_path)
    profile = VoiceProfile(tmp_path / "voice")
    assert profile.count_own("sore") == 2 and profile.recordings() == {}
    assert not profile.model_file.exists()  # a template needs no retraining
    capsys.readouterr()
    assert main(["voice", "list", "--data-dir", str(tmp_path)]) == 0
    assert "sore   2 recordings (the user's own word)" in capsys.readouterr().out
    assert main(["voice", "add", "--data-dir", str(tmp_path), "achy", str(off(2))]) == 3
    assert "or the routine's own words: sore" in capsys.readouterr().err
    assert main(["voice", "forget", "--data-dir", str(tmp_path), "sore"]) == 0
    assert "Deleted 2 recording(s)" in capsys.readouterr().out
    assert profile.own_recordings() == {}


@pytest.mark.slow
@pytest.mark.timeout(900)  # the recogniser, the classifier and the reader on 30 utterances
def test_the_user_s_own_word_is_heard_by_their_recordings_and_nothing_else_is(
    tmp_path: Path,
) -> None:
    """The whole listener (PocketSphinx, the word classifier and the reader) in the counting
    context, where "it hurts" and "stop" are live. Before teaching, the user's "sore" is not
    heard; after, their other takes of it are heard as it hurts, also when the recogniser
    and the reader miss it. The user's other words and noise are never it hurts or stop."""
    engine = make_engine("pocketsphinx")
    reader = make_reader(engine)
    routine_words = {Command.HURTS: ("sore",)}
    vocab = commands.vocabulary("en").with_words(routine_words)
    pad = bytes(2 * 8000)

    def heard(classifier: object, clip: Path) -> str | None:
        audio = pad + pcm(clip) + pad + pad + pad
        return offline.recognise(
            engine,
            vocab,
            Context.COUNTING,
            audio,
            1.0,
            classifier=classifier,
            reader=reader,  # type: ignore[arg-type]
        ).command

    before = make_classifier(engine, user_voice=tmp_path / "voice")
    assert isinstance(before, WordClassifier)
    assert "hurts" not in [heard(before, off(t)) for t in (2, 3, 4)]

    teach_sore(tmp_path)
    mine = make_classifier(engine, user_voice=tmp_path / "voice")
    assert isinstance(mine, OwnWordJudge)
    took = [heard(mine, off(t)) for t in (2, 3, 4)]
    assert took.count("hurts") >= 2, took

    root = speech_data() / "commands"
    same_speaker = sorted(f for f in root.glob(f"*/*{SPEAKER}*.wav") if f.parent.name != "off")
    noise = sorted((root / "_silence_").glob("*.wav"))[:8]
    assert len(same_speaker) >= 15
    wrong = {f.name: c for f in [*same_speaker, *noise] if (c := heard(mine, f)) in ("hurts",)}
    assert wrong == {}  # (a "stop" said is still stop: its own recordings are not "sore")
    assert heard(mine, root / "stop" / f"{SPEAKER}_nohash_0.wav") == "stop"


@pytest.mark.timeout(600)  # every shared clip embedded once
def test_no_other_clip_of_the_shared_recordings_is_taken_for_the_own_word(
    tmp_path: Path,
) -> None:
    """The new path alone on every clip that is not the taught word (the user's own other
    words, every other speaker's words, the command words, digits, noise): none matches."""
    teach_sore(tmp_path)
    judge = make_classifier(make_engine("pocketsphinx"), user_voice=tmp_path / "voice")
    assert isinstance(judge, OwnWordJudge)
    classifier = judge.classifier
    hits = []
    for take in (2, 3, 4):
        hits.append(own_word_heard(judge.probabilities(trimmed(pcm(off(take))))) == "sore")
    assert sum(hits) >= 2, hits
    matched = []
    for f in others():
        audio = pcm(f)
        with contextlib.suppress(RecordingProblem):  # noise is heard as it is
            audio = trimmed(audio)
        x = pooled(classifier.embedder.embed(audio))[None, :]
        if judge.match(x, int(np.argmax(classifier.predict(x)[0]))):
            matched.append(f.name)
    assert len(others()) > 400 and matched == []
