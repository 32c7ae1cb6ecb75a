"""Today's session, run by the daemon in a child process (isolating its crashes), bounded."""

from __future__ import annotations

import logging
import subprocess
import sys

from companion.reminders.options import Options

log = logging.getLogger(__name__)

SESSION_LIMIT_S = 4 * 3600.0
"""A session still running after this long is stuck (a whole routine takes under an hour):
it is stopped, so that the day's later reminders are not lost behind it."""
STOP_WAIT_S = 10.0
"""How long a stopped session has to end by itself before it is killed."""


def session_command(options: Options) -> list[str]:
    """The command that runs today's session in a child process."""
    cmd = [sys.executable, "-m", "companion.cli.main", "session"]
    if options.data_dir_arg:
        cmd += ["--data-dir", options.data_dir_arg]
    if not options.voice:
        cmd.append("--no-voice")
    if options.time_scale != 1.0:
        cmd += ["--time-scale", str(options.time_scale)]
    return cmd + list(options.session_args)


def run_child(cmd: list[str], limit_s: float = SESSION_LIMIT_S) -> int | None:
    """Run ``cmd`` to its end, at most ``limit_s`` seconds; its exit status, or None if it
    could not start. Past the limit it is asked to stop (SIGTERM), then killed; the status
    then says so (negative: the signal). Killed, too, if the daemon is stopped meanwhile."""
    try:
        child = subprocess.Popen(cmd)
    except OSError as exc:
        log.warning("cannot run %s: %s", cmd, exc)
        return None
    with child:  # on any exception (the daemon stopped): killed and reaped
        try:
            return child.wait(timeout=limit_s)
        except subprocess.TimeoutExpired:
            log.warning("the session was still running after %g s; stopping it", limit_s)
            child.terminate()
            try:
                return child.wait(timeout=STOP_WAIT_S)
            except subprocess.TimeoutExpired:
                child.kill()
                return child.wait()
        except BaseException:
            child.kill()
            raise
