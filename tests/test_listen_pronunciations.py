"""Reading a pronunciation dictionary for a few words (a real file; the real one too)."""

from __future__ import annotations

from pathlib import Path

import pytest

from companion.errors import ModelError
from companion.listen.models import pocketsphinx_model_dir
from companion.recognisers.pronunciations import Pronunciations, base_word


def test_base_word() -> None:
    assert base_word("read(2)") == "read"
    assert base_word("read") == "read"
    assert base_word("(") == "("


def test_lines_keep_the_file_order_and_every_alternative(tmp_path: Path) -> None:
    path = tmp_path / "words.dict"
    path.write_text("a AH\na(2) EY\nabc EY B IY S IY # comment\nstop S T AA P\n", "utf-8")
    found = Pronunciations(path).lines(["stop", "a", "nothing"])
    assert found == [("a", "AH"), ("a(2)", "EY"), ("stop", "S T AA P")]
    assert Pronunciations(path).lines([]) == []
    out = tmp_path / "small.dict"
    assert Pronunciations(path).write(["abc", "zz"], out) == {"abc"}
    assert out.read_text("utf-8") == "abc EY B IY S IY\n"


def test_a_missing_dictionary_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="cannot be read"):
        Pronunciations(tmp_path / "none.dict").lines(["stop"])


def test_the_shipped_dictionary() -> None:
    folder = pocketsphinx_model_dir()
    assert folder is not None
    found = dict(Pronunciations(folder / "cmudict-en-us.dict").lines(["stop", "hurts"]))
    assert found["stop"] == "S T AA P"
    assert "hurts" in found
