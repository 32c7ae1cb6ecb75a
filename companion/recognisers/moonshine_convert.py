"""The reader's model made compact: Moonshine computing from its 8-bit weights.

``moonshine-cpp`` ships Moonshine's English model in onnxruntime's own ("ORT") format. Its
weights are stored as 8-bit numbers, and the graph widens every one of them back to 32-bit
floats (``Cast``, ``Mul`` by a scale, ``Add`` an offset) at the start of every run: about
250 MB at a time, on top of the model itself (measured: 638 MB for the whole listener).

This module rewrites the model once into ordinary ONNX where each weight stays 8-bit (the
graph rewrite itself is ``onnx_int8_rewrite``):
- a matrix product with a widened weight becomes onnxruntime's ``DynamicQuantizeMatMul`` on
  the 8-bit weight and its scale, plus the offset times the sum of the input's row (``A @
  (s*q + o) = s*(A @ q) + o*sum(A)``); it computes in 8 bits, about three times faster;
- a table look-up (the token embedding) looks up the 8-bit rows first, then widens the few
  rows it took;
- whatever else uses a widened weight (the encoder's three small convolutions) gets it widened
  once, here, and stored as floats.

The result is kept in ``models/`` (``COMPANION_MODELS_DIR``) with a manifest naming the
source files' SHA-256. It is rebuilt whenever they (or ``FORMAT``) change, in a child process
(the listener's own memory never holds the conversion), into a temporary folder renamed into
place only when complete: never half-written.

Run by hand: ``python -m companion.recognisers.moonshine_convert SOURCE_DIR DEST_DIR``."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from companion.classifier.embedding import onnxruntime_offline
from companion.errors import ModelError
from companion.recognisers.onnx_int8_rewrite import rewrite

FORMAT = 1
"""Changes whenever the rewrite does (older results are rebuilt)."""
FOLDER = "moonshine-base-en-int8"
"""The result's folder name inside the models folder."""
MANIFEST = "source.json"
MODELS = {
    "encoder_model.ort": "encoder_model.onnx",
    "decoder_model_merged.ort": "decoder_model_merged.onnx",
}
"""Packaged model file -> rewritten file."""
TIMEOUT_S = 900.0
"""Longest a conversion may take (about 3 s on the development machine)."""


def data_file(name: str) -> str:
    """The file beside a rewritten model that holds its weights."""
    return f"{name}.data"


def outputs() -> list[str]:
    """Every file of a rewritten model's folder but the manifest."""
    return [f for name in MODELS.values() for f in (name, data_file(name))]


def sha256(path: Path) -> str:
    """The SHA-256 of a file, in hex."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def source_digests(source: Path) -> dict[str, str]:
    """The SHA-256 of each packaged model file (a ModelError if one is missing)."""
    missing = [name for name in MODELS if not (source / name).is_file()]
    if missing:
        raise ModelError(f"The Moonshine model in {source} is incomplete: {', '.join(missing)}.")
    return {name: sha256(source / name) for name in MODELS}


def is_current(dest: Path, digests: dict[str, str]) -> bool:
    """Whether ``dest`` holds a complete rewrite of the model with these digests."""
    try:
        manifest = json.loads((dest / MANIFEST).read_text(encoding="utf-8"))
        sizes = manifest["sizes"]
        return bool(
            manifest["format"] == FORMAT
            and manifest["sources"] == digests
            and all((dest / name).stat().st_size == sizes[name] for name in outputs())
        )
    except (OSError, ValueError, KeyError, TypeError):
        return False


def prepared(source: Path, models_dir: Path) -> Path:
    """The folder of the rewritten model for ``source``, converting it first if needed (in a
    child process). A ModelError if it cannot be made."""
    digests = source_digests(source)
    dest = models_dir / FOLDER
    if is_current(dest, digests):
        return dest
    try:
        done = subprocess.run(
            [sys.executable, "-m", __name__, str(source), str(dest)],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ModelError(f"Could not prepare the Moonshine model in {dest}: {exc}.") from exc
    if done.returncode != 0 or not is_current(dest, digests):
        why = (done.stderr.strip().splitlines() or ["no reason given"])[-1]
        raise ModelError(f"Could not prepare the Moonshine model in {dest}: {why}.")
    return dest


def convert(source: Path, dest: Path) -> None:
    """Rewrite the packaged model in ``source`` into ``dest`` (replaced only when complete)."""
    digests = source_digests(source)
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))
    try:
        for packaged, rewritten in MODELS.items():
            as_onnx = work / f"{rewritten}.plain"
            export_onnx(source / packaged, as_onnx)
            rewrite_file(as_onnx, work / rewritten)
            as_onnx.unlink()
        sizes = {name: (work / name).stat().st_size for name in outputs()}
        for name in outputs():
            (work / name).chmod(0o644)
        work.chmod(0o755)
        manifest = {"format": FORMAT, "sources": digests, "sizes": sizes}
        (work / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        if not is_current(dest, digests):  # another process may have just made the same
            install(work, dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def install(work: Path, dest: Path) -> None:
    """Put the finished folder ``work`` in place of ``dest`` (another process may have put
    its own there meanwhile: the last one wins; each is complete)."""
    old = dest.with_name(f".{dest.name}-old-{os.getpid()}")
    if dest.exists():
        dest.rename(old)
    try:
        work.rename(dest)
    finally:
        shutil.rmtree(old, ignore_errors=True)


def export_onnx(packaged: Path, out: Path) -> None:
    """The ORT-format model as a plain ONNX file (onnxruntime writes it as it loads)."""
    onnxruntime = onnxruntime_offline()
    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.optimized_model_filepath = str(out)
    options.add_session_config_entry("session.save_model_format", "ONNX")
    options.log_severity_level = 3
    try:
        onnxruntime.InferenceSession(str(packaged), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own types for damaged models
        raise ModelError(f"{packaged} cannot be loaded: {exc}") from exc


def rewrite_file(src: Path, out: Path) -> None:
    """Load ``src`` (ONNX), rewrite it (``rewrite``) and save it to ``out``."""
    import onnx  # slow to import: only while converting

    model = onnx.load(str(src))
    rewrite(model)
    # Weights in a file beside the graph: onnxruntime then maps them instead of copying
    # them out of the parsed graph (measured: 26 MB less for the decoder, 13 for the encoder).
    onnx.save(
        model,
        str(out),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location=data_file(out.name),
        size_threshold=1024,
    )


def main(argv: list[str] | None = None) -> int:
    """``python -m companion.recognisers.moonshine_convert SOURCE DEST``."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print(
            "usage: python -m companion.recognisers.moonshine_convert SOURCE_DIR DEST_DIR",
            file=sys.stderr,
        )
        return 2
    try:
        convert(Path(args[0]), Path(args[1]))
    except ModelError as exc:
        print(exc.message, file=sys.stderr)
        return 1
    except ImportError as exc:
        print(f"onnx is not installed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
