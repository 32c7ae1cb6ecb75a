"""combine_opinions (pure logic): the classifier's word and the reader's reading against the
recogniser's phrase."""

from __future__ import annotations

from companion.classifier.combine_opinions import (
    OTHER,
    SILENCE,
    OpinionSettings,
    ReadingSettings,
    Verdict,
    judge,
    reread,
)

YESNO = {"yes": "yes", "yeah": "yes", "right": "yes", "no": "no", "nope": "no"}
YESNO |= {"stop": "stop", "it hurts": "hurts"}
COUNTING = {"stop": "stop", "pause": "pause", "it hurts": "hurts", "slower": "slower"}
NUMBER = {"zero": 0, "one": 1, "two": 2, "seven": 7, "ten": 10, "stop": "stop"}
SAFETY = {"stop", "it hurts"}
SETTINGS = OpinionSettings(accept_p=0.5, alone_p=0.8, veto_p=0.8, confirm_p=0.2)
"""Fixed here, so that these tests check the rules, not the tuned defaults."""


def probs(**p: float) -> dict[str, float]:
    """Probabilities over a small class set; the rest goes to ``other``."""
    classes = {"yes": 0.0, "no": 0.0, "go": 0.0, "stop": 0.0, "up": 0.0, "seven": 0.0,
               "one": 0.0, SILENCE: 0.0}  # fmt: skip
    classes.update(p)
    classes[OTHER] = max(0.0, 1.0 - sum(classes.values()))
    return classes


def run(p: dict[str, float], heard: str, ok: bool, live: dict[str, object], confirm: bool = False):  # type: ignore[no-untyped-def]
    return judge(
        p, heard, ok, 1.0, live=live, safety=SAFETY & set(live), confirm=confirm, settings=SETTINGS
    )


def test_a_sure_classifier_word_is_taken_and_may_correct_the_recogniser() -> None:
    # a strong recogniser phrase (both passes) gives way only to a classifier sure of its word
    v = run(probs(no=0.85), "yes", True, YESNO)
    assert v.phrase == "no" and v.confidence == 0.85 and v.unsure  # they disagreed: confirm
    v = run(probs(no=0.6), "yes", True, YESNO)
    assert v.phrase == "yes" and v.unsure  # the classifier only leaning to "no": confirm
    assert run(probs(no=0.6), "", False, YESNO).phrase is None  # alone it must be surer
    v = run(probs(no=0.9), "", False, YESNO)
    assert v.phrase == "no" and not v.unsure
    v = run(probs(no=0.85), "nope", True, YESNO)  # another phrase for the same: no doubt
    assert v.phrase == "no" and not v.unsure
    # a weak recogniser phrase (one pass only) is simply overruled
    weak = judge(probs(no=0.6), "yes", True, 0.45, live=YESNO, safety=set(), confirm=False)
    assert weak.phrase == "no" and not weak.unsure


def test_a_known_word_is_never_taken_where_it_is_not_live() -> None:
    assert run(probs(go=0.95), "stop", False, COUNTING).phrase is None


def test_a_weak_known_word_the_classifier_does_not_back_is_dropped() -> None:
    weak = judge(probs(up=0.6), "yes", True, 0.45, live=YESNO, safety=set(), confirm=False)
    assert weak.phrase is None
    # both name it, the classifier less surely: taken with its probability
    v = run(probs(yes=0.4, up=0.3), "yes", True, YESNO)
    assert v.phrase == "yes" and v.confidence == 0.4


def test_a_strong_known_word_stands_unless_the_classifier_is_sure_of_another() -> None:
    # both recogniser passes heard "yes"; the classifier leans to a word not live here
    v = run(probs(up=0.6), "yes", True, YESNO)
    assert v.phrase == "yes" and v.confidence == 1.0 and not v.unsure
    assert run(probs(up=0.9), "yes", True, YESNO).phrase is None  # sure of another word
    assert run(probs(), "yes", True, YESNO).phrase is None  # sure it was some other word
    assert run(probs(up=0.6), "yes", False, YESNO).phrase is None  # rejected by the recogniser


def test_stop_is_kept_unless_the_classifier_is_sure_of_something_else() -> None:
    assert run(probs(stop=0.1, up=0.5), "stop", True, COUNTING).phrase == "stop"
    assert run(probs(up=0.9), "stop", True, COUNTING).phrase is None
    assert run(probs(), "stop", True, COUNTING).phrase is None  # all "other": not a stop


def test_a_phrase_the_classifier_never_learnt_is_left_to_the_recogniser() -> None:
    assert run(probs(), "it hurts", True, COUNTING).phrase == "it hurts"  # "other" is no veto
    assert run(probs(), "pause", False, COUNTING).phrase is None
    assert run(probs(up=0.85), "pause", True, COUNTING).phrase is None  # sure it was "up"
    assert run(probs(**{SILENCE: 0.9}), "it hurts", True, COUNTING).phrase is None
    # a word of the phrase itself is no veto: "go on" sounds much like "go"
    assert run(probs(go=0.9), "go on", True, COUNTING | {"go on": "resume"}).phrase == "go on"


def test_it_hurts_is_never_swapped_for_another_command() -> None:
    assert run(probs(no=0.7), "it hurts", True, YESNO).phrase == "it hurts"
    assert run(probs(no=0.9), "it hurts", True, YESNO).phrase is None  # sure it was "no": veto
    # "stop" is a word it learnt: there it may name the other command (the session confirms)
    v = run(probs(no=0.85), "stop", True, YESNO)
    assert v.phrase == "no" and v.unsure


def test_a_weak_rating_is_kept_unsure_where_ratings_are_confirmed() -> None:
    def weak(p: dict[str, float], confirm: bool):  # type: ignore[no-untyped-def]
        return judge(
            p, "seven", True, 0.45, live=NUMBER, safety=set(), confirm=confirm, settings=SETTINGS
        )

    v = weak(probs(seven=0.3, one=0.4), confirm=True)
    assert v.phrase == "seven" and v.unsure
    assert weak(probs(seven=0.1, one=0.4), confirm=True).phrase is None
    assert weak(probs(seven=0.3, one=0.4), confirm=False).phrase is None


def test_a_strong_word_is_asked_about_when_the_classifier_leans_to_another_command() -> None:
    v = run(probs(seven=0.1, one=0.46), "seven", True, NUMBER)  # "one" its likeliest
    assert v.phrase == "seven" and v.unsure
    v = run(probs(seven=0.1, up=0.46), "seven", True, NUMBER)  # "up" means nothing here
    assert v.phrase == "seven" and not v.unsure


def test_without_probabilities_the_recogniser_decides() -> None:
    assert judge({}, "yes", True, 0.9, live=YESNO, safety=set(), confirm=False).phrase == "yes"
    assert judge({}, "yes", False, 0.3, live=YESNO, safety=set(), confirm=False).phrase is None


# The reader's opinion (combine_opinions.reread): fixed settings, so the rules are what is tested.
READING = ReadingSettings(
    veto_p=0.01, safety_veto_p=0.02, else_p=0.9, switch_p=0.8, rescue_p=0.8, safety_rescue_p=0.6
)
NUMBERS = {"zero": 0, "one": 1, "two": 2, "seven": 7, "ten": 10}


def again(verdict: Verdict, live: dict[str, object], **reading: float):  # type: ignore[no-untyped-def]
    return reread(
        verdict,
        {p: reading.get(p.replace(" ", "_"), 0.0) for p in live},
        live=live,
        safety=SAFETY & set(live),
        settings=READING,
    )


def test_the_reader_drops_a_command_it_is_sure_was_something_else() -> None:
    v = again(Verdict("pause", 0.7), COUNTING, pause=0.005)  # 99.5% something else
    assert v.phrase is None
    assert again(Verdict("pause", 0.7), COUNTING, pause=0.05).phrase == "pause"
    # not sure enough of something else: kept
    assert again(Verdict("pause", 0.7), COUNTING, pause=0.005, slower=0.2).phrase == "pause"


def test_a_weak_safety_phrase_needs_the_reader() -> None:
    weak = Verdict("it hurts", 0.45)
    assert again(weak, COUNTING, it_hurts=0.001).phrase is None  # "bird", "tree"...
    assert again(weak, COUNTING, it_hurts=0.05).phrase == "it hurts"
    # the reader sure of another safety phrase: that one ("ouch" for "stop" counts as "stop")
    v = again(Verdict("it hurts", 0.45), COUNTING, stop=0.7)
    assert v.phrase == "stop" and not v.unsure


def test_the_reader_corrects_or_rescues_with_a_confirmation() -> None:
    v = again(Verdict("pause", 0.7), COUNTING, slower=0.85)
    assert v.phrase == "slower" and v.unsure
    v = again(Verdict(None, 0.2), YESNO, yeah=0.5, yes=0.4)  # phrases of one meaning add up
    assert v.phrase == "yeah" and v.unsure and abs(v.confidence - 0.9) < 1e-9
    assert again(Verdict(None, 0.2), YESNO, no=0.7).phrase is None
    # a safety command is never what a correction turns a command into; rescued alone, it acts
    assert again(Verdict("pause", 0.7), COUNTING, stop=0.9).phrase == "pause"
    v = again(Verdict(None, 0.2), COUNTING, stop=0.65)
    assert v.phrase == "stop" and not v.unsure


def test_numbers_are_what_the_reader_and_the_classifier_agree_on() -> None:
    live = {**NUMBERS, "stop": "stop"}

    def number(verdict: Verdict, cls: dict[str, float], **reading: float) -> Verdict:
        return reread(
            verdict,
            {p: reading.get(p, 0.0) for p in live},
            live=live,
            safety={"stop"},
            numbers=NUMBERS,
            probabilities=probs(**cls),
            settings=READING,
        )

    # the reader's few percent, among the numbers, outweigh the classifier's lean
    v = number(Verdict("one", 0.5), {"one": 0.5, "seven": 0.4}, seven=0.04, one=0.001)
    assert v.phrase == "seven" and v.unsure
    v = number(Verdict(None, 0.1), {"two": 0.9}, two=0.95)  # both, and sure: no question
    assert v.phrase == "two" and not v.unsure
    v = number(Verdict(None, 0.1), {"two": 0.9}, two=0.5, seven=0.3)
    assert v.phrase == "two" and v.unsure
    # a number the classifier never learnt ("ten") is judged by the reader
    assert number(Verdict(None, 0.1), {"two": 0.3}, ten=0.9).phrase == "ten"
    # no number to the reader: nothing new is taken, what was heard stands
    assert number(Verdict(None, 0.1), {"two": 0.9}).phrase is None
    assert number(Verdict(None, 0.1), {"two": 0.9}, two=0.0005).phrase is None
    assert number(Verdict("two", 0.5), {"two": 0.9}).phrase == "two"
