"""A private PulseAudio server with a null sink, for tests that play and record real audio.

``PulseServer.start(workdir)`` runs its own ``pulseaudio`` (isolated runtime dir and socket
under ``workdir``, no default script, so no suspend-on-idle and no real devices), with one null
sink whose monitor is the default source. One ``parec`` recorder (``--latency-msec=20``) keeps
recording the monitor from start to stop, so no recording loses its first seconds; recordings
are cut out of that stream with ``mark()`` / ``samples(since)``.

``server.env`` holds what a client needs: ``PULSE_SERVER`` for pulse clients and
``ALSA_CONFIG_PATH`` pointing at a config whose ``default`` PCM is the ALSA pulse plugin, so
aplay and PortAudio (sounddevice) reach the server too. Nothing in the user's home or the
user's own PulseAudio is touched. Both processes are stopped by their PIDs, and the kernel
kills them when the thread that started them ends, however it ends (``_dies_with_starter``).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import wave
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

SINK = "companion_test"
RATE = 16000  # recorder: 16-bit mono at 16 kHz, what the recognisers want
TOOLS = ("pulseaudio", "pactl", "parec", "paplay")

_ASOUND = """\
</usr/share/alsa/alsa.conf>
pcm.!default { type pulse }
ctl.!default { type pulse }
"""


class PulseError(RuntimeError):
    """The test server could not be started or used."""


def missing_tools() -> list[str]:
    """The PulseAudio programs that are not installed."""
    return [t for t in TOOLS if shutil.which(t) is None]


@dataclass
class Recording:
    """Audio cut out of the monitor stream: 16-bit mono samples at ``rate``."""

    samples: np.ndarray
    rate: int = RATE

    @property
    def seconds(self) -> float:
        """Length in seconds."""
        return len(self.samples) / self.rate

    def save(self, path: Path) -> Path:
        """Write a WAV file."""
        write_wav(path, self.samples, self.rate)
        return path


@dataclass
class PulseServer:
    """A running private server; see the module docstring."""

    workdir: Path
    env: dict[str, str]
    sink: str = SINK
    rate: int = RATE
    _server: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _recorder: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _stream: Path | None = field(default=None, repr=False)

    @property
    def source(self) -> str:
        """The monitor of the sink (also the default source: the "microphone")."""
        return f"{self.sink}.monitor"

    @classmethod
    def start(cls, workdir: Path, timeout: float = 15.0) -> PulseServer:
        """Start server and recorder; raises ``PulseError`` with the server's log on failure."""
        workdir.mkdir(parents=True, exist_ok=True)
        runtime = workdir / "run"
        runtime.mkdir(mode=0o700, exist_ok=True)
        socket = workdir / "native"
        asound = workdir / "asound.conf"
        asound.write_text(_ASOUND)
        env = {
            "PULSE_SERVER": f"unix:{socket}",
            "PULSE_RUNTIME_PATH": str(runtime),
            "XDG_RUNTIME_DIR": str(runtime),
            "ALSA_CONFIG_PATH": str(asound),
        }
        server_env = {**os.environ, **env, "XDG_CONFIG_HOME": str(workdir / "config")}
        server_env.pop("PULSE_SERVER")
        log = (workdir / "pulseaudio.log").open("wb")
        proc = subprocess.Popen(
            _dies_with_starter([
                "pulseaudio", "-n", "--daemonize=no", "--system=false", "--exit-idle-time=-1",
                "--disallow-exit", "--use-pid-file=no", "--log-target=stderr",
                "-L", f"module-native-protocol-unix socket={socket} auth-anonymous=1",
                "-L", f"module-null-sink sink_name={SINK} rate={RATE} channels=1",
            ]),
            env=server_env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
        )  # fmt: skip
        log.close()
        server = cls(workdir=workdir, env=env, _server=proc)
        try:
            server._wait_ready(timeout)
            server.pactl("set-default-sink", SINK)
            server.pactl("set-default-source", server.source)
            for line in server.pactl("list", "short", "modules").splitlines():
                if "module-suspend-on-idle" in line:
                    server.pactl("unload-module", line.split()[0])
            server._start_recorder(timeout)
        except BaseException:
            server.stop()
            raise
        return server

    # ---- using it ---------------------------------------------------------------------------

    def client_env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """An environment for a child process that should use this server."""
        return {**(os.environ if base is None else base), **self.env}

    def pactl(self, *args: str) -> str:
        """Run ``pactl`` against this server and return its output."""
        done = subprocess.run(
            ["pactl", *args], env=self.client_env(), capture_output=True, text=True, timeout=10
        )
        if done.returncode != 0:
            raise PulseError(f"pactl {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout

    def mark(self) -> int:
        """The position (in samples) the recording of the monitor has reached now."""
        assert self._stream is not None
        return self._stream.stat().st_size // 2

    def samples(self, since: int, until: int | None = None, settle: float = 0.3) -> Recording:
        """What the monitor carried from mark ``since`` (to ``until``), after ``settle`` s."""
        assert self._stream is not None
        time.sleep(settle)
        with self._stream.open("rb") as f:
            f.seek(since * 2)
            count = -1 if until is None else (until - since) * 2
            data = f.read(count)
        return Recording(np.frombuffer(data[: len(data) // 2 * 2], dtype=np.int16).copy())

    def record(self, seconds: float) -> Recording:
        """Record the monitor for ``seconds`` from now."""
        start = self.mark()
        time.sleep(seconds)
        return self.samples(start, start + int(seconds * self.rate))

    def record_to_wav(self, seconds: float, path: Path) -> Path:
        """Record the monitor for ``seconds`` into a WAV file."""
        return self.record(seconds).save(path)

    @contextmanager
    def recording(self) -> Iterator[list[Recording]]:
        """``with server.recording() as got:`` records the block; ``got[0]`` after it."""
        got: list[Recording] = []
        start = self.mark()
        yield got
        got.append(self.samples(start))

    def play(self, wav: Path, wait: bool = True) -> subprocess.Popen[bytes]:
        """Play a WAV file into the sink (so it is also heard on the default source)."""
        proc = subprocess.Popen(
            ["paplay", f"--device={self.sink}", str(wav)],
            env=self.client_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        if wait:
            _, err = proc.communicate(timeout=120)
            if proc.returncode != 0:
                raise PulseError(f"paplay {wav} failed: {err.decode(errors='replace')}")
        return proc

    @property
    def pids(self) -> list[int]:
        """The process IDs of the server and its recorder (while they were started)."""
        return [p.pid for p in (self._server, self._recorder) if p is not None]

    def freeze(self) -> None:
        """Stop the server answering (SIGSTOP), as a hung sound server or a stuck USB device
        does; ``stop()`` still ends it."""
        assert self._server is not None
        self._server.send_signal(signal.SIGSTOP)

    def stop(self) -> None:
        """Stop the recorder and the server, by their PIDs (a frozen server too)."""
        for proc in (self._recorder, self._server):
            if proc is None or proc.poll() is not None:
                continue
            proc.send_signal(signal.SIGTERM)
            proc.send_signal(signal.SIGCONT)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)

    # ---- start-up -----------------------------------------------------------------------------

    def _wait_ready(self, timeout: float) -> None:
        assert self._server is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._server.poll() is not None:
                raise PulseError(f"pulseaudio exited at start-up:\n{self._log()}")
            try:
                self.pactl("info")
                return
            except (PulseError, subprocess.TimeoutExpired):
                time.sleep(0.1)
        raise PulseError(f"pulseaudio did not answer within {timeout} s:\n{self._log()}")

    def _start_recorder(self, timeout: float) -> None:
        self._stream = self.workdir / "monitor.s16"
        out = self._stream.open("wb")
        self._recorder = subprocess.Popen(
            _dies_with_starter([
                "parec", f"--device={self.source}", "--latency-msec=20", "--raw",
                "--format=s16le", f"--rate={RATE}", "--channels=1",
            ]),
            env=self.client_env(), stdin=subprocess.DEVNULL, stdout=out,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        out.close()
        deadline = time.monotonic() + timeout
        while self.mark() < RATE // 10:  # the recorder's first data takes a moment to arrive
            if self._recorder.poll() is not None or time.monotonic() > deadline:
                raise PulseError(f"the recorder (parec) did not start:\n{self._log()}")
            time.sleep(0.05)

    def _log(self) -> str:
        path = self.workdir / "pulseaudio.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else "(no log)"


def _dies_with_starter(command: list[str]) -> list[str]:
    """``command`` run by setpriv (util-linux), which asks the kernel to kill it (SIGKILL) when
    the thread that started it ends: otherwise a test stopped at its time limit (pytest-timeout's
    thread method ends pytest with ``os._exit``, no teardown runs) or a killed pytest leaves the
    server and its recorder running for good. Start a server from a thread that lives as long
    as it (the main thread). Without setpriv, ``command`` as it is."""
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "KILL", *command] if setpriv else command


def write_wav(path: Path, samples: np.ndarray, rate: int) -> None:
    """Write 16-bit mono samples to a WAV file."""
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.asarray(samples, dtype=np.int16).tobytes())


def read_wav(path: Path) -> Recording:
    """Read a 16-bit mono WAV file."""
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2 or w.getnchannels() != 1:
            raise PulseError(f"{path}: expected 16-bit mono")
        data = w.readframes(w.getnframes())
        return Recording(np.frombuffer(data, dtype=np.int16).copy(), w.getframerate())


def voiced_segments(
    rec: Recording, threshold: int = 300, min_gap: float = 0.25, frame: float = 0.01
) -> list[tuple[float, float]]:
    """(start, end) seconds of the sounds in ``rec``: frames whose peak exceeds ``threshold``,
    joined when the silence between them is shorter than ``min_gap``."""
    n = max(1, int(rec.rate * frame))
    count = len(rec.samples) // n
    if count == 0:
        return []
    peaks = np.abs(rec.samples[: count * n].astype(np.int32)).reshape(count, n).max(axis=1)
    loud = np.flatnonzero(peaks > threshold)
    segments: list[tuple[float, float]] = []
    for i in loud:
        start, end = i * frame, (i + 1) * frame
        if segments and start - segments[-1][1] < min_gap:
            segments[-1] = (segments[-1][0], end)
        else:
            segments.append((start, end))
    return segments
