"""Writes companion/recognisers/data/decoys-en-us.txt: common English words for the reject path.

The words are the most probable unigrams of PocketSphinx's US English language model that the
pronunciation dictionary knows; the recogniser offers them beside the live commands so that
speech which is not a command has somewhere to go. Run once when the model changes.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pocketsphinx

COUNT = 2000
OUT = Path(__file__).resolve().parent.parent / "companion" / "listen" / "data" / "decoys-en-us.txt"


def main() -> int:
    model = Path(pocketsphinx.get_model_path("en-us"))
    lm = pocketsphinx.NGramModel(
        pocketsphinx.Config(), pocketsphinx.LogMath(), str(model / "en-us.lm.bin")
    )
    words = set()
    for line in (model / "cmudict-en-us.dict").read_text(encoding="utf-8").splitlines():
        word = line.split(" ", 1)[0]
        if re.fullmatch(r"[a-z][a-z']*", word) and (len(word) > 1 or word in ("a", "i")):
            words.add(word)
    ranked = sorted(words, key=lambda w: (-lm.prob([w]), w))[:COUNT]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(
        "# Most probable words of the PocketSphinx en-us language model "
        "(scripts/make_decoys.py)\n" + "\n".join(ranked) + "\n",
        encoding="utf-8",
    )
    print(f"wrote {len(ranked)} words to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
