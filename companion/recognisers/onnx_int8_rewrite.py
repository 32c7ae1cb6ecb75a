"""Rewriting an ONNX graph so that its 8-bit weights are computed from as 8-bit.

The graph (Moonshine's, exported from the ORT format) widens each 8-bit weight to 32-bit floats
(``Cast``, ``Mul`` by a scale, ``Add`` an offset) at the start of every run. ``rewrite`` turns:
- a matrix product with a widened weight into onnxruntime's ``DynamicQuantizeMatMul`` on the
  8-bit weight and its scale, plus the offset times the sum of the input's row (``A @
  (s*q + o) = s*(A @ q) + o*sum(A)``);
- a table look-up (the token embedding) into a look-up of the 8-bit rows, then a widening of
  the few rows it took;
- whatever else uses a widened weight into a use of that weight widened once, here.

The packaging around it (the source's digests, the child process, the manifest) is
``moonshine_convert``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

KERNEL = "DynamicQuantizeMatMul"
"""onnxruntime's matrix product from 8-bit weights: it quantises its input to 8 bits as it
runs, then multiplies in 8 bits. (Its ``MatMulNBits`` with 8-bit blocks was tried too: readings
closer to the packaged model's, 0.04 at most against 0.15, but 22 MB more and half as fast;
the whole benchmark came out the same or a clip better with this one, docs/benchmarks.md.)"""


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
