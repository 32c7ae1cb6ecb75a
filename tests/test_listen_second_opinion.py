"""The second-opinion rules (pure logic): the classifier's word against the recogniser's phrase."""

from __future__ import annotations

from companion.listen.second_opinion import OTHER, SILENCE, OpinionSettings, judge

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
