"""A general-purpose speech embedding (Google's speech_embedding, as ONNX) of 16 kHz audio.

Two small networks: a log-mel front end (32 bands, 60-3800 Hz, 10 ms hop) and an embedding
network that turns each 76-frame window (0.775 s) of it into 96 numbers, every 80 ms. It was
trained on a large amount of speech, so a small classifier on top of it learns words from
few speakers (see ``word_classifier``). The only module importing onnxruntime
(``onnxruntime_offline``)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from companion.errors import ModelError

MODEL_DIR = Path(__file__).resolve().parent / "data" / "speech-embedding"
SHA256 = {
    "melspectrogram.onnx": "ba2b0e0f8b7b875369a2c89cb13360ff53bac436f2895cced9f479fa65eb176f",
    "embedding_model.onnx": "70d164290c1d095d1d4ee149bc5e00543250a7316b59f31d056cff7bd3075c1f",
}
SAMPLE_RATE = 16000
WINDOW_FRAMES = 76
"""Mel frames per embedding (0.775 s)."""
STEP_FRAMES = 8
"""Mel frames between embeddings (80 ms)."""
MIN_SECONDS = 1.6
"""Shorter audio is padded (centred) with a faint hiss to this length."""
PAD_HISS = 5.0
"""Standard deviation (16-bit units, about -76 dBFS) of the padding."""
DIM = 96
FEATURES = "mean-max-1"
"""Names what ``pooled`` returns; caches of features are kept apart by it."""


def onnxruntime_offline() -> Any:
    """onnxruntime with its telemetry off. Its recent releases (1.32 here) report usage to
    Microsoft from Linux too: a device id and an event cache in ~/.cache/Microsoft, then, some
    seconds after loading, a DNS lookup of mobile.events.data.microsoft.com and an upload.
    Nothing may leave the machine, so ``ORT_DISABLE_TELEMETRY`` is set before the import (it
    is read once, as the library loads; child processes inherit it). Should onnxruntime have
    been loaded elsewhere first, ``disable_telemetry_events`` at least mutes later events."""
    os.environ["ORT_DISABLE_TELEMETRY"] = "1"
    try:
        import onnxruntime  # here: after the telemetry switch above, which it reads as it loads
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise ModelError(f"onnxruntime is not installed: {exc}") from exc
    onnxruntime.disable_telemetry_events()
    return onnxruntime


def one_thread_options() -> Any:
    """onnxruntime (telemetry off), and session options for running a model on one thread
    (two cores: never take both from the session)."""
    onnxruntime = onnxruntime_offline()
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return onnxruntime, options


class SpeechEmbedder:
    """Audio in, one 96-number embedding every 80 ms out."""

    def __init__(self, model_dir: Path = MODEL_DIR) -> None:
        onnxruntime, options = one_thread_options()
        sessions = []
        for name, digest in SHA256.items():
            path = model_dir / name
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise ModelError(
                    f"The speech embedding model {path} cannot be read: {exc}"
                ) from exc
            if hashlib.sha256(data).hexdigest() != digest:
                raise ModelError(
                    f"The speech embedding model {path} is damaged (checksum differs).",
                    hint="Reinstall companion to restore it.",
                )
            try:
                sessions.append(
                    onnxruntime.InferenceSession(data, options, providers=["CPUExecutionProvider"])
                )
            except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own types
                raise ModelError(
                    f"The speech embedding model {path} cannot be loaded: {exc}"
                ) from exc
        self._mel, self._embed = sessions

    def embed(self, pcm16: bytes) -> npt.NDArray[np.float32]:
        """Embeddings (n, 96) of 16 kHz mono 16-bit audio; n >= 9."""
        x = np.frombuffer(pcm16[: len(pcm16) - len(pcm16) % 2], dtype="<i2").astype(np.float32)
        x = pad(x)
        mel = self._mel.run(None, {"input": x[None, :]})[0]
        mel = np.asarray(mel, dtype=np.float32).reshape(-1, 32) / 10.0 + 2.0
        starts = range(0, mel.shape[0] - WINDOW_FRAMES + 1, STEP_FRAMES)
        windows = np.stack([mel[i : i + WINDOW_FRAMES] for i in starts])[..., None]
        out = self._embed.run(None, {"input_1": windows})[0]
        return np.asarray(out, dtype=np.float32).reshape(-1, DIM)


def pad(x: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """``x`` centred in at least MIN_SECONDS, the rest a faint fixed hiss."""
    n = int(MIN_SECONDS * SAMPLE_RATE)
    if x.size >= n:
        return x
    missing = n - x.size
    hiss = np.random.default_rng(0).normal(0.0, PAD_HISS, missing).astype(np.float32)
    half = missing // 2
    return np.concatenate([hiss[:half], x, hiss[half:]])


def pooled(embeddings: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    """One vector (192 numbers) per utterance: the mean and the maximum of its embeddings
    over time. (Adding the means of its thirds scored better on whole clips but worse on
    utterances as the listener cuts them: docs/benchmarks.md.)"""
    e = embeddings.astype(np.float64)
    return np.concatenate([e.mean(axis=0), e.max(axis=0)])
