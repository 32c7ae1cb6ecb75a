"""Finding a PocketSphinx model and its decoy words, and trial-loading an unfamiliar model.

PocketSphinx exits the whole process on a bad model, so a model given with --model is first
loaded in a child process (``probe``: ``python -m companion.recognisers.pocketsphinx_model
HMM_DIR DICT``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pocketsphinx

from companion.errors import ModelError

PROBE_TIMEOUT_S = 60.0
"""Longest wait for a trial load of a model given with --model."""
DECOY_FILE = Path(__file__).resolve().parent / "data" / "decoys-en-us.txt"


def load_decoys(path: Path = DECOY_FILE) -> tuple[str, ...]:
    """Common words, most probable first (scripts/make_decoys.py writes the file)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ModelError(f"The decoy word list {path} cannot be read: {exc}") from exc
    return tuple(w.strip() for w in lines if w.strip() and not w.startswith("#"))


def default_model_dir() -> Path:
    """The US English model shipped inside the pocketsphinx wheel."""
    return Path(pocketsphinx.get_model_path("en-us"))


def find_model(model_dir: Path) -> tuple[Path, Path]:
    """(acoustic model folder, pronunciation dictionary) inside ``model_dir``."""
    if not model_dir.is_dir():
        raise ModelError(f"The PocketSphinx model folder {model_dir} does not exist.")
    candidates = [model_dir, *(p for p in sorted(model_dir.iterdir()) if p.is_dir())]
    hmm = next((c for c in candidates if (c / "mdef").is_file()), None)
    if hmm is None:
        raise ModelError(
            f"{model_dir} holds no PocketSphinx acoustic model (no 'mdef' file).",
            hint="Leave out --model to use the model that comes with PocketSphinx.",
        )
    dicts = sorted(model_dir.glob("*.dict")) + sorted(hmm.glob("*.dict"))
    if not dicts:
        raise ModelError(f"{model_dir} holds no pronunciation dictionary (*.dict).")
    return hmm, dicts[0]


def probe(hmm: Path, dictionary: Path, model_dir: Path) -> None:
    """Load an unfamiliar model in a child process first: PocketSphinx exits on a bad one."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", __name__, str(hmm), str(dictionary)],
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired as exc:
        raise ModelError(f"The PocketSphinx model in {model_dir} takes too long to load.") from exc
    if done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or ["no details"])[-1]
        raise ModelError(
            f"The PocketSphinx model in {model_dir} could not be loaded: it is damaged or "
            f"incomplete ({detail}).",
            hint="Leave out --model to use the model that comes with PocketSphinx.",
        )


if __name__ == "__main__":  # trial load used by probe: python -m ... HMM_DIR DICT
    pocketsphinx.Decoder(hmm=sys.argv[1], dict=sys.argv[2], lm=None, loglevel="FATAL")
