"""Calls with a deadline: the result, the call's own error, or Overdue; a late result is cleaned
up by ``late`` and never lost silently."""

from __future__ import annotations

import threading
import time

import pytest

from companion.bounded import Call, Overdue, call_within


def test_a_prompt_call_gives_its_result_and_late_is_not_called() -> None:
    late: list[int] = []
    assert call_within(5, lambda: 42, "answering", late=late.append) == 42
    assert late == []


def test_the_calls_own_error_is_raised_in_the_caller() -> None:
    def broken() -> int:
        raise ValueError("no device")

    with pytest.raises(ValueError, match="no device"):
        call_within(5, broken, "opening")


def test_a_blocked_call_is_left_behind_and_its_late_result_cleaned_up() -> None:
    release = threading.Event()
    cleaned = threading.Event()
    late: list[str] = []

    def blocked() -> str:
        release.wait(30)
        return "stream"

    def clean(result: str) -> None:
        late.append(result)
        cleaned.set()

    start = time.monotonic()
    with pytest.raises(Overdue, match="opening did not finish within 0.2 s"):
        call_within(0.2, blocked, "opening", late=clean)
    assert time.monotonic() - start < 2
    release.set()
    assert cleaned.wait(5)
    assert late == ["stream"]


def test_a_call_left_behind_can_still_be_waited_for_its_end() -> None:
    release = threading.Event()
    call = Call(lambda: release.wait(30)).start("synthesis")
    with pytest.raises(Overdue):
        call.wait(0.1, "synthesis")
    assert not call.ended(0.1)
    release.set()
    assert call.ended(5)
