"""``companion reminders install|uninstall``: the systemd user unit, with and without systemd."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from companion.errors import BadInputError
from companion.reminders import unit
from tests.conftest import skip_or_fail

REPO = Path(__file__).resolve().parent.parent


def cli(data: Path, *args: str, path: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    if path is not None:
        env["PATH"] = path
    return subprocess.run(
        [sys.executable, "-m", "companion.cli.main", "reminders", *args, "--data-dir", str(data)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=60,
    )


def test_unit_text_runs_the_daemon_and_cannot_crash_loop() -> None:
    text = unit.unit_text(["/opt/my env/bin/python", "-m", "companion.cli.main", "daemon"])
    assert 'ExecStart="/opt/my env/bin/python" -m companion.cli.main daemon' in text
    assert "Restart=on-failure" in text
    assert "StartLimitBurst=" in text and "StartLimitIntervalSec=" in text
    prevent = next(x for x in text.splitlines() if x.startswith("RestartPreventExitStatus="))
    from companion.errors import ExitStatus

    codes = {int(c) for c in prevent.split("=")[1].split()}
    assert {ExitStatus.BAD_INPUT, ExitStatus.DATABASE, ExitStatus.ALREADY_RUNNING} <= codes
    assert "WantedBy=default.target" in text


def test_install_without_systemd_writes_the_unit_and_says_what_to_do(tmp_path: Path) -> None:
    empty = tmp_path / "no-systemd-here"
    empty.mkdir()
    data, units = tmp_path / "data", tmp_path / "units"
    result = cli(data, "install", "--unit-dir", str(units), path=str(empty))
    assert result.returncode == 0, result.stderr
    path = units / unit.UNIT_NAME
    assert f"wrote {path}" in result.stdout
    assert "not available" in result.stdout and "@reboot" in result.stdout
    text = path.read_text()
    assert f"daemon --data-dir {data}" in text and sys.executable in text
    result = cli(data, "uninstall", "--unit-dir", str(units), path=str(empty))
    assert result.returncode == 0
    assert f"removed {path}" in result.stdout and not path.exists()
    again = cli(data, "uninstall", "--unit-dir", str(units), path=str(empty))
    assert "nothing to remove" in again.stdout


def test_install_with_systemd_enables_and_uninstall_disables(tmp_path: Path) -> None:
    # systemd cannot run in this container: a stand-in systemctl records what it was asked
    bindir, log = tmp_path / "bin", tmp_path / "systemctl.log"
    bindir.mkdir()
    fake = bindir / "systemctl"
    fake.write_text(f'#!/bin/sh\necho "$@" >> "{log}"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    data, units = tmp_path / "data", tmp_path / "units"
    path = f"{bindir}:{os.environ['PATH']}"
    result = cli(data, "install", "--unit-dir", str(units), path=path)
    assert result.returncode == 0, result.stderr
    assert "enabled and started companion.service" in result.stdout
    assert log.read_text().splitlines() == [
        "--user show-environment",
        "--user daemon-reload",
        "--user enable --now companion.service",
    ]
    log.unlink()
    result = cli(data, "uninstall", "--unit-dir", str(units), path=path)
    assert result.returncode == 0
    assert "stopped and disabled companion.service" in result.stdout
    assert log.read_text().splitlines() == [
        "--user show-environment",
        "--user disable --now companion.service",
        "--user daemon-reload",
    ]
    assert not (units / unit.UNIT_NAME).exists()


def test_install_into_an_unwritable_place_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = cli(tmp_path / "data", "install", "--unit-dir", str(blocker / "units"))
    assert result.returncode != 0
    assert "Cannot write" in result.stderr and "Traceback" not in result.stderr


def test_arguments_are_quoted_by_systemd_s_rules() -> None:
    line = unit.exec_line(
        ["/usr/bin/python3", "daemon", "--data-dir", '/home/ann/my $HOME 100% "x" a\\b;c']
    )
    # %-specifiers doubled, $-variables doubled, quotes and backslashes escaped, one word
    assert line == r'/usr/bin/python3 daemon --data-dir "/home/ann/my $$HOME 100%% \"x\" a\\b;c"'
    assert unit.exec_line(["/p", ""]) == '/p ""'


def test_the_program_path_is_read_back_by_systemd_itself(tmp_path: Path) -> None:
    exe = shutil.which("systemd-analyze")
    if exe is None:
        skip_or_fail("systemd-analyze is not installed: apt-get install systemd")
    assert exe is not None
    folder = tmp_path / "my env $USER 100%i ?#"
    folder.mkdir()
    program = folder / "python"
    shutil.copy("/bin/true", program)
    service = tmp_path / "companion-test.service"
    service.write_text(unit.unit_text([str(program), "-m", "companion.cli.main", "daemon"]))
    checked = subprocess.run(
        [exe, "verify", str(service)], capture_output=True, text=True, timeout=60
    )
    # a wrongly quoted path names another file: "... is not executable" or a parse error
    for wrong in ("not executable", "special characters", "ExecStart", "Failed"):
        assert wrong not in checked.stderr, checked.stderr
    missing = folder / "missing"
    service.write_text(unit.unit_text([str(missing), "daemon"]))
    checked = subprocess.run(
        [exe, "verify", str(service)], capture_output=True, text=True, timeout=60
    )
    assert f"{missing} is not executable" in checked.stderr  # the check can fail


@pytest.mark.parametrize("name", ["two\nlines", "tab\there", "cr\rhere"])
def test_a_data_folder_with_a_line_break_is_refused_and_nothing_written(
    tmp_path: Path, name: str
) -> None:
    units = tmp_path / "units"
    units.mkdir()
    existing = units / unit.UNIT_NAME
    existing.write_text("# an earlier unit\n")
    result = cli(tmp_path / name, "install", "--unit-dir", str(units), path="/nonexistent")
    assert result.returncode == 3, result.stderr
    assert "line break" in result.stderr and "Traceback" not in result.stderr
    assert existing.read_text() == "# an earlier unit\n"
    assert sorted(p.name for p in units.iterdir()) == [unit.UNIT_NAME]


def test_a_program_path_systemd_cannot_run_is_refused() -> None:
    with pytest.raises(BadInputError, match="quotes or backslashes"):
        unit.unit_text(['/opt/a"b/python', "daemon"])


def test_the_advice_without_systemd_is_quoted_for_the_shell_and_for_cron(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "no-systemd-here"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    result = unit.install(tmp_path / "units", ["/usr/bin/python3", "daemon", "/d/it's 100%"])
    assert not result.systemd
    assert any(
        a.endswith("""@reboot /usr/bin/python3 daemon '/d/it'"'"'s 100\\%'""")
        for a in result.advice
    ), result.advice
    assert any(a.endswith("""/usr/bin/python3 daemon '/d/it'"'"'s 100%'""") for a in result.advice)
