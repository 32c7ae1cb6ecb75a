"""The systemd user unit for the daemon: its text, and installing or removing it."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from companion.errors import BadInputError, CompanionError

UNIT_NAME = "companion.service"


def default_unit_dir() -> Path:
    """Where systemd looks for this user's units."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "systemd" / "user"


_SPECIAL = frozenset(" \t\"\\'$%;")


def _refuse_control(arg: str) -> None:
    if any(ord(c) < 32 or ord(c) == 127 for c in arg):
        raise BadInputError(
            f"The path {arg!r} has a line break or another control character in it, "
            "which a systemd service cannot be given.",
            hint="Use a data folder whose name is on one line (rename or move it).",
        )


def _program(arg: str) -> str:
    """The first word of ExecStart: systemd expands ``%`` there but not ``$``, and refuses
    quotes and backslashes in a program's path."""
    _refuse_control(arg)
    if any(c in arg for c in "\"'\\"):
        raise BadInputError(
            f"systemd cannot run a program whose path has quotes or backslashes: {arg}",
            hint="Install companion in a folder whose path has none.",
        )
    escaped = arg.replace("%", "%%")
    return f'"{escaped}"' if any(c in _SPECIAL for c in arg) else escaped


def _argument(arg: str) -> str:
    """One argument after the program, quoted by systemd.service(5)'s rules: ``%`` specifiers
    as ``%%``, ``$`` variables as ``$$``, inside double quotes with ``\\`` and ``\\"``."""
    _refuse_control(arg)
    if arg and not any(c in _SPECIAL for c in arg):
        return arg
    escaped = arg.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%").replace("$", "$$")
    return f'"{escaped}"'


def exec_line(command: Sequence[str]) -> str:
    """``command`` as systemd's ExecStart value; BadInputError for what systemd cannot take."""
    program, *args = command
    return " ".join([_program(program), *(_argument(a) for a in args)])


def unit_text(command: Sequence[str]) -> str:
    """The unit file: restarts after a crash, but never loops on bad input (exit 2, 3, 6, 7)."""
    return "\n".join(
        [
            "# Written by `companion reminders install`; `... uninstall` removes it.",
            "[Unit]",
            "Description=Companion: daily hand-exercise reminders",
            "After=pulseaudio.service pipewire-pulse.service",
            "StartLimitIntervalSec=600",
            "StartLimitBurst=5",
            "",
            "[Service]",
            "Type=simple",
            "ExecStart=" + exec_line(command),
            "Restart=on-failure",
            "RestartSec=30",
            "# Usage, bad routine, damaged store, already running: restarting will not help.",
            "RestartPreventExitStatus=2 3 6 7",
            "Environment=PYTHONUNBUFFERED=1",
            "",
            "[Install]",
            "WantedBy=default.target",
            "",
        ]
    )


@dataclass
class Result:
    """What install or uninstall did, line by line, and whether systemd took part."""

    done: list[str] = field(default_factory=list)
    systemd: bool = True
    advice: list[str] = field(default_factory=list)


def _systemctl(*args: str) -> tuple[bool, str]:
    exe = shutil.which("systemctl")
    if exe is None:
        return False, "systemctl is not installed"
    try:
        p = subprocess.run(
            [exe, "--user", *args], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, str(exc)
    return p.returncode == 0, (p.stderr or p.stdout).strip()


def _no_systemd(result: Result, why: str, command: Sequence[str]) -> None:
    result.systemd = False
    line = shlex.join(command)
    result.advice += [
        f"systemd user services are not available here ({why}).",
        "Start the daemon another way so it runs after every login or boot, for example:",
        f"  from your desktop's autostart (Startup Applications): {line}",
        # cron reads a bare % as a line break
        f"  or in your crontab (crontab -e):  @reboot {line.replace('%', chr(92) + '%')}",
    ]


def install(unit_dir: Path, command: Sequence[str]) -> Result:
    """Write the unit atomically, then reload systemd and enable and start it where possible."""
    result = Result()
    path = unit_dir / UNIT_NAME
    text = unit_text(command)  # refuses what systemd cannot take before anything is written
    try:
        unit_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise CompanionError(f"Cannot write {path}: {exc}.") from exc
    result.done.append(f"wrote {path}")
    ok, why = _systemctl("show-environment")
    if not ok:
        _no_systemd(result, why, command)
        return result
    ok, why = _systemctl("daemon-reload")
    if not ok:
        raise CompanionError(f"systemctl --user daemon-reload failed: {why}")
    result.done.append("ran systemctl --user daemon-reload")
    ok, why = _systemctl("enable", "--now", UNIT_NAME)
    if not ok:
        raise CompanionError(
            f"systemctl --user enable --now {UNIT_NAME} failed: {why}",
            hint=f"The unit is in {path}; see: journalctl --user -u {UNIT_NAME}",
        )
    result.done.append(f"enabled and started {UNIT_NAME} (systemctl --user enable --now)")
    return result


def uninstall(unit_dir: Path) -> Result:
    """Stop and disable the unit where systemd runs, then remove the file."""
    result = Result()
    path = unit_dir / UNIT_NAME
    ok, why = _systemctl("show-environment")
    if not ok:
        result.systemd = False
        result.advice.append(
            f"systemd user services are not available here ({why}); "
            "if you started the daemon another way, remove that entry too."
        )
    elif path.exists():
        ok, why = _systemctl("disable", "--now", UNIT_NAME)
        if not ok:
            raise CompanionError(f"systemctl --user disable --now {UNIT_NAME} failed: {why}")
        result.done.append(f"stopped and disabled {UNIT_NAME}")
    if path.exists():
        try:
            path.unlink()
        except OSError as exc:
            raise CompanionError(f"Cannot remove {path}: {exc}.") from exc
        result.done.append(f"removed {path}")
        if result.systemd and _systemctl("daemon-reload")[0]:
            result.done.append("ran systemctl --user daemon-reload")
    else:
        result.done.append(f"no unit file at {path}; nothing to remove")
    return result
