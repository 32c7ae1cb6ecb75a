"""The reader's model made compact: Moonshine computing from its 8-bit weights.

``moonshine-cpp`` ships Moonshine's English model in onnxruntime's own ("ORT") format. Its
weights are stored as 8-bit numbers, and the graph widens every one of them back to 32-bit
floats (``Cast``, ``Mul`` by a scale, ``Add`` an offset) at the start of every run: about
250 MB at a time, on top of the model itself (measured: 638 MB for the whole listener).

This module rewrites the model once into ordinary ONNX where each weight stays 8-bit:
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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from companion.classifier.embedding import onnxruntime_offline
from companion.errors import ModelError

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
KERNEL = "DynamicQuantizeMatMul"
"""onnxruntime's matrix product from 8-bit weights: it quantises its input to 8 bits as it
runs, then multiplies in 8 bits. (Its ``MatMulNBits`` with 8-bit blocks was tried too: readings
closer to the packaged model's, 0.04 at most against 0.15, but 22 MB more and half as fast;
the whole benchmark came out the same or a clip better with this one, docs/benchmarks.md.)"""
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


def rewrite(model: Any) -> None:
    """Rewrite an ONNX model in place so that its 8-bit weights are computed from as 8-bit."""
    Rewriter(model.graph).run()


def subgraphs(graph: Any) -> Iterator[tuple[Any, Any]]:
    """Each node of ``graph`` with a graph attribute (``If`` branches), and that graph."""
    for node in graph.node:
        for attribute in node.attribute:
            if attribute.HasField("g"):
                yield node, attribute.g


class Rewriter:
    """The rewrite of one model's main graph (weights live there; branches use them)."""

    def __init__(self, graph: Any) -> None:
        from onnx import numpy_helper  # slow to import: only while converting

        self.graph = graph
        self.to_array = numpy_helper.to_array
        self.from_array = numpy_helper.from_array
        self.inits = {i.name: i for i in graph.initializer}
        self.widened = self._find_widened()
        self.added: dict[str, Any] = {}
        self.count = 0

    def _find_widened(self) -> dict[str, tuple[str, np.float32, np.float32, list[str]]]:
        """Each widened weight's name -> (its 8-bit initializer, scale, offset, the names of
        the three nodes' outputs that widen it)."""
        import onnx  # slow to import: only while converting

        made = {out: node for node in self.graph.node for out in node.output}
        found = {}
        for add in self.graph.node:
            mul = made.get(add.input[0]) if add.op_type == "Add" else None
            cast = made.get(mul.input[0]) if mul is not None and mul.op_type == "Mul" else None
            if cast is None or cast.op_type != "Cast":
                continue
            weight = self.inits.get(cast.input[0])
            scale = self.inits.get(mul.input[1])  # type: ignore[union-attr]
            offset = self.inits.get(add.input[1])
            if weight is None or scale is None or offset is None:
                continue
            s, o = self.to_array(scale).ravel(), self.to_array(offset).ravel()
            if weight.data_type != onnx.TensorProto.INT8 or s.size != 1 or o.size != 1:
                continue
            found[add.output[0]] = (
                cast.input[0],
                np.float32(s[0]),
                np.float32(o[0]),
                [cast.output[0], mul.output[0], add.output[0]],  # type: ignore[union-attr]
            )
        return found

    def run(self) -> None:
        """Rewrite every use of a widened weight, then tidy up."""
        for node, graph in subgraphs(self.graph):
            if not graph.name:  # onnxruntime writes branches without names; ONNX needs them
                graph.name = f"{node.name or node.op_type}_branch_{self.count}"
                self.count += 1
        self._rewrite(self.graph)
        drop_unused(self.graph)
        self._keep_used()

    def _rewrite(self, graph: Any) -> None:
        for _node, branch in subgraphs(graph):
            self._rewrite(branch)
        made = {out: node for node in graph.node for out in node.output}
        nodes = []
        for node in graph.node:
            replaced = self._replace(node, made)
            nodes.extend(replaced if replaced is not None else [node])
        del graph.node[:]
        graph.node.extend(nodes)

    def _replace(self, node: Any, made: dict[str, Any]) -> list[Any] | None:
        """The nodes that replace ``node``, or None to keep it."""
        if node.op_type == "MatMul" and node.input[1] in self.widened:
            name, s, o, _ = self.widened[node.input[1]]
            return self._matmul(node, name, s, o)
        before = made.get(node.input[1]) if node.op_type == "MatMul" else None
        if (
            before is not None
            and before.op_type == "Transpose"
            and before.input[0] in self.widened
            and self._perm(before) in (None, [1, 0])
        ):
            name, s, o, _ = self.widened[before.input[0]]
            if len(self.inits[name].dims) != 2:
                return None
            self._add(f"{name}_t", lambda: self.to_array(self.inits[name]).T)
            return self._matmul(node, f"{name}_t", s, o)
        if node.op_type == "Gather" and node.input[0] in self.widened:
            return self._gather(node)
        return None

    @staticmethod
    def _perm(node: Any) -> list[int] | None:
        from onnx import helper  # slow to import: only while converting

        for attribute in node.attribute:
            if attribute.name == "perm":
                return list(helper.get_attribute_value(attribute))
        return None

    def _matmul(self, node: Any, key: str, s: np.float32, o: np.float32) -> list[Any] | None:
        """``A @ (s*q + o)`` as ``DynamicQuantizeMatMul(A, q, s) + o * sum(A's last axis)``,
        where ``key`` names the 8-bit weight ``q`` (K x N)."""
        from onnx import helper  # slow to import: only while converting

        weight = self.inits.get(key) or self.added.get(key)
        if weight is None or len(weight.dims) != 2:
            return None
        self._add(f"{key}_scale", lambda: np.array(s, np.float32))
        self._add(f"{key}_offset", lambda: np.array([o], np.float32))
        self._add("q8_zero", lambda: np.array(0, np.int8))
        self._add("q8_last_axis", lambda: np.array([-1], np.int64))
        tag = self._tag("q8")
        a = node.input[0]
        return [
            helper.make_node(
                KERNEL,
                [a, key, f"{key}_scale", "q8_zero"],
                [tag + "_product"],
                name=tag,
                domain="com.microsoft",
            ),
            helper.make_node("ReduceSum", [a, "q8_last_axis"], [tag + "_sum"], keepdims=1),
            helper.make_node("Mul", [tag + "_sum", f"{key}_offset"], [tag + "_shift"]),
            helper.make_node("Add", [tag + "_product", tag + "_shift"], [node.output[0]]),
        ]

    def _gather(self, node: Any) -> list[Any]:
        """Look up the 8-bit rows, then widen only those. (Not from the table the tied output
        projection uses: onnxruntime frees that one once packed, so sharing it cost memory.)"""
        import onnx  # slow to import: only while converting
        from onnx import helper  # slow to import: only while converting

        name, s, o, _ = self.widened[node.input[0]]
        tag = self._tag("gather8")
        self._add(f"{tag}_scale", lambda: np.array([s], np.float32))
        self._add(f"{tag}_offset", lambda: np.array([o], np.float32))
        axis = next((a.i for a in node.attribute if a.name == "axis"), 0)
        return [
            helper.make_node("Gather", [name, node.input[1]], [tag + "_q"], name=tag, axis=axis),
            helper.make_node("Cast", [tag + "_q"], [tag + "_f"], to=onnx.TensorProto.FLOAT),
            helper.make_node("Mul", [tag + "_f", f"{tag}_scale"], [tag + "_scaled"]),
            helper.make_node("Add", [tag + "_scaled", f"{tag}_offset"], [node.output[0]]),
        ]

    def _tag(self, kind: str) -> str:
        """A new node name."""
        self.count += 1
        return f"{kind}_{self.count}"

    def _add(self, name: str, make: Any) -> None:
        """A new initializer (made once, however many nodes use it)."""
        if name not in self.added and name not in self.inits:
            self.added[name] = self.from_array(np.ascontiguousarray(make()), name)

    def _keep_used(self) -> None:
        """Widen, once and here, the weights something else still uses widened (the
        encoder's three convolutions: onnxruntime would fold them to floats as it loads,
        keeping the 8-bit copy too); keep only the initializers something uses."""
        used = names_used(self.graph)
        chain = {out for *_, outs in self.widened.values() for out in outs}
        for widened, (name, s, o, _) in self.widened.items():
            if widened in used:
                w = self.to_array(self.inits[name]).astype(np.float32) * s + o
                self.added[widened] = self.from_array(w.astype(np.float32), widened)
        nodes = [n for n in self.graph.node if not set(n.output) & chain]
        del self.graph.node[:]
        self.graph.node.extend(nodes)
        used = names_used(self.graph)
        keep = [i for i in self.graph.initializer if i.name in used]
        keep += [i for name, i in self.added.items() if name in used]
        del self.graph.initializer[:]
        self.graph.initializer.extend(keep)


def names_used(graph: Any) -> set[str]:
    """Every value name read by a node of ``graph`` or its branches, or one of their outputs."""
    used = {o.name for o in graph.output}
    for node in graph.node:
        used.update(node.input)
    for _node, branch in subgraphs(graph):
        used |= names_used(branch)
    return used


def drop_unused(graph: Any) -> None:
    """Remove, in ``graph`` and its branches, nodes whose outputs nothing reads."""
    for _node, branch in subgraphs(graph):
        drop_unused(branch)
    while True:
        used = names_used(graph)
        keep = [n for n in graph.node if any(o in used for o in n.output)]
        if len(keep) == len(graph.node):
            return
        del graph.node[:]
        graph.node.extend(keep)


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
