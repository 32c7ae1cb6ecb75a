"""``voice teach`` records the user's own words too (the routine's [vocabulary], issue 20): each
is asked for after the built-in words and learnt as the word of its command the classifier knows
("halt" as "stop"), so the retrained classifier hears the user's "halt" as stop."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from companion import commands, prompts
from companion.audio import wavfile
from companion.classifier.word_classifier import WordClassifier
from companion.commands import Command
from companion.user_voice.teach import TeachSettings, own_words, teach
from companion.user_voice.voice_profile import VoiceProfile
from tests.conftest import speech_data
from tests.test_voice_teach import Lines, Utterances, clip

WORDS = prompts.load("en")
NOW = dt.datetime(2026, 12, 4, 10, 0, 0)


def unknown(name: str) -> bytes:
    """A Speech Commands clip of a word none of the classifier's classes is ("learn")."""
    return wavfile.read(speech_data() / "commands" / "_unknown_" / name, 16000)


def run(profile: VoiceProfile, words: list[str], own: dict[str, str], capture: Utterances):  # type: ignore[no-untyped-def]
    speaker = Lines()
    result = teach(
        profile, words, speaker, capture, WORDS, lambda: NOW,
        TeachSettings(times=1, settle_s=0.0), sleep=lambda _s: None,
        retrain=lambda _p: None, own=own,
    )  # fmt: skip
    return result, speaker.said


def test_each_own_word_goes_with_the_word_of_its_command_the_classifier_knows() -> None:
    extra = {
        Command.STOP: ("Halt",),
        Command.START: ("begin now",),
        Command.YES: ("yes",),  # the built-in word itself: nothing more to teach
        Command.HURTS: ("ouch",),
        Command.REPEAT: ("again",),
    }
    taught = own_words(commands.vocabulary("en").phrases, extra)
    # no class of the classifier means it hurts or repeat: kept as the user's own word only
    assert taught == {"halt": "stop", "begin now": "go", "ouch": "", "again": ""}


def test_an_own_word_of_any_command_is_asked_for_and_kept_as_a_template(
    tmp_path: Path,
) -> None:
    """On the old code "ouch" (it hurts) was left out: teach asked only for words of stop,
    start, yes and no. Now it is asked for, kept in own/ and not retrained on."""
    profile = VoiceProfile(tmp_path)
    capture = Utterances(unknown("learn_1acc97de_nohash_0.wav"))
    result, said = run(profile, [], {"ouch": ""}, capture)
    assert result.saved == {"ouch": 1} and not result.retrained
    assert WORDS.text("voice.say_word", word="ouch") in said
    assert WORDS.text("voice.done") in said
    assert profile.count_own("ouch") == 1 and profile.recordings() == {}
    assert list(profile.own_recordings()) == ["ouch"]
    result, said = run(profile, [], {"ouch": ""}, Utterances())  # nothing more to ask
    assert result.saved == {} and not any(line.startswith("Please say") for line in said)


def test_own_words_are_asked_for_after_the_built_in_ones_and_kept_apart(tmp_path: Path) -> None:
    """On the old code teach had no way to take the user's words: only the built-in ones."""
    profile = VoiceProfile(tmp_path)
    capture = Utterances(clip(1, 0), unknown("learn_1acc97de_nohash_0.wav"))
    result, said = run(profile, ["one"], {"halt": "stop"}, capture)
    assert result.saved == {"one": 1, "halt": 1} and result.skipped == []
    asks = [line for line in said if line.startswith("Please say")]
    assert asks == [
        WORDS.text("voice.say_word", word="one"),
        WORDS.text("voice.say_word", word="halt"),
    ]
    assert profile.count("stop", "halt") == 1  # learnt as stop ...
    assert profile.count("stop") == 0  # ... but not counted as the word "stop" itself
    assert profile.recordings()["stop"][0].name.startswith("halt-")
    # run again: everything there, nothing asked
    result, said = run(profile, ["one"], {"halt": "stop"}, Utterances())
    assert result.saved == {} and not any(line.startswith("Please say") for line in said)
    # "stop" itself is still asked for: the user's "halt" does not stand in for it
    result, said = run(profile, ["stop"], {"halt": "stop"}, Utterances(clip(2, 0)))
    assert result.saved == {"stop": 1}
    assert profile.count("stop") == 1 and profile.count("stop", "halt") == 1


@pytest.mark.slow
@pytest.mark.timeout(600)  # retraining embeds and trains: minutes on a loaded machine
def test_the_retrained_classifier_hears_the_user_s_own_word_as_its_command(
    tmp_path: Path,
) -> None:
    """The user's "halt" (a real speaker's word the classifier has no class for) is learnt as
    stop: the recording itself is then heard as stop, and another take of the same word by the
    same speaker is far more likely stop than before teaching."""
    taught, other_take = "learn_1acc97de_nohash_0.wav", "learn_1acc97de_nohash_3.wav"
    shipped = WordClassifier().probabilities(unknown(other_take))["stop"]
    profile = VoiceProfile(tmp_path)
    speaker = Lines()
    result = teach(
        profile, [], speaker, Utterances(unknown(taught)), WORDS, lambda: NOW,
        TeachSettings(times=1, settle_s=0.0), sleep=lambda _s: None, own={"halt": "stop"},
    )  # fmt: skip
    assert result.saved == {"halt": 1} and result.retrained
    learnt = WordClassifier(profile.model_file)
    on_itself = learnt.probabilities(unknown(taught))
    assert max(on_itself, key=lambda c: on_itself[c]) == "stop"
    assert learnt.probabilities(unknown(other_take))["stop"] >= 10 * shipped
