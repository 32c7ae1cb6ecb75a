"""Bad-input sweep: the routine loader, the WAV reader and the history opener are fed truncated,
oversized, bit-flipped and random files (a table, then hypothesis). Each must give a usable result
or the project's error type, within seconds, inside 2 GB of address space, and leave a file it
refused byte-identical. Everything runs in a child process under that memory limit."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import resource
import shutil
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from companion import routine
from companion.audio import wavfile
from companion.errors import CompanionError
from companion.history.store import HistoryStore
from companion.records import Rating, SessionStarted, SetDone
from companion.report import export
from tests.conftest import REPO

MEMORY_LIMIT = 2 << 30
"""Address space of the child process (a lying WAV header once asked numpy for 6 GiB)."""
CASE_SECONDS = 20.0
"""Longest any one file may take (a lying header once kept ``recognize`` busy past 60 s)."""
SEED = 17


# --- the openers, as the commands call them ------------------------------------------------


def open_routine(path: Path) -> None:
    routine.load(path)


def open_wav(path: Path) -> None:
    wavfile.read(path, 16000)


def open_history(path: Path) -> None:
    with HistoryStore.open(path, create=False) as store:
        export.snapshot(store.connection)  # every row of every table read


OPENERS: dict[str, Callable[[Path], None]] = {
    "routine": open_routine,
    "wav": open_wav,
    "history": open_history,
}


def outcome(kind: str, path: Path) -> dict[str, object]:
    """What opening ``path`` as ``kind`` did: ok, refused (the project's error) or crashed."""
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    started = time.monotonic()
    try:
        OPENERS[kind](path)
        result = "ok"
    except CompanionError as exc:
        result = "refused"
        if "\n" in exc.message:
            result = f"crash: a message of several lines: {exc.message!r}"
    except BaseException as exc:  # noqa: BLE001 - anything else is what the sweep looks for
        result = f"crash: {type(exc).__name__}: {str(exc)[:200]}"
    seconds = time.monotonic() - started
    kept = hashlib.sha256(path.read_bytes()).hexdigest() == before
    return {"file": path.name, "result": result, "seconds": seconds, "kept": kept}


def run_cases(listing: Path) -> None:
    """Child process: open every (kind, file) in ``listing``, one JSON line each."""
    for kind, name in json.loads(listing.read_text()):
        print(json.dumps({"kind": kind, **outcome(kind, Path(name))}), flush=True)


def in_child(code: str, timeout: float) -> subprocess.CompletedProcess[str]:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        preexec_fn=limit,
    )


# --- the files -------------------------------------------------------------------------------


def flips(data: bytes, rng: random.Random, n: int, within: int | None = None) -> bytes:
    out = bytearray(data)
    span = min(len(out), within or len(out))
    for _ in range(n):
        out[rng.randrange(span)] ^= 1 << rng.randrange(8)
    return bytes(out)


def wav_header(rate: int, channels: int, bits: int, claimed: int, tag: int = 1) -> bytes:
    width = max(1, bits // 8)
    fmt = struct.pack(
        "<HHIIHH",
        tag & 0xFFFF,
        channels & 0xFFFF,
        rate & 0xFFFFFFFF,
        (rate * channels * width) & 0xFFFFFFFF,
        (channels * width) & 0xFFFF,
        bits & 0xFFFF,
    )
    body = b"WAVEfmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", claimed)
    return b"RIFF" + struct.pack("<I", (len(body) + claimed) & 0xFFFFFFFF) + body


def good_wav(folder: Path) -> bytes:
    t = np.arange(16000) / 16000
    sf.write(folder / "seed.wav", 0.3 * np.sin(2 * np.pi * 300 * t), 16000, subtype="PCM_16")
    return (folder / "seed.wav").read_bytes()


def good_history(folder: Path) -> bytes:
    db = folder / "seed.sqlite3"
    at = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)
    with HistoryStore.open(db) as store:
        for day in range(3):
            t = at + dt.timedelta(days=day)
            store.write(SessionStarted(at=t, day=t.date(), planned=(("palm_turn", 2, 10),)))
            for n in (1, 2):
                store.write(SetDone(t, "palm_turn", n, 10, 10, 60.0, True))
                store.write(Rating(t, "palm_turn", n, "pain", n))
    return db.read_bytes()


def variants(seed: bytes, rng: random.Random, header: int) -> dict[str, bytes]:
    """Truncated, bit-flipped, random and padded versions of a good file."""
    n = len(seed)
    out = {"whole": seed, "empty": b""}
    for cut in sorted({1, 4, 12, 16, 36, 44, 100, n // 3, n // 2, n - 1}):
        if 0 < cut < n:
            out[f"cut{cut}"] = seed[:cut]
    for i in range(25):
        out[f"flip-head{i}"] = flips(seed, rng, rng.randint(1, 4), within=header)
        out[f"flip{i}"] = flips(seed, rng, rng.randint(1, 16))
    for size in (1, 64, 5000, 300_000):
        out[f"random{size}"] = rng.randbytes(size)
        out[f"prefix-random{size}"] = seed[:header] + rng.randbytes(size)
    out["padded"] = seed + rng.randbytes(3_000_000)
    out["zeros"] = bytes(4_000_000)
    return out


def routine_files(rng: random.Random) -> dict[str, bytes]:
    seed = routine.DEFAULTS_FILE.read_bytes()
    out = variants(seed, rng, header=200)
    out |= {
        "deep-lists": b"name = " + b"[" * 100_000,
        "deep-tables": b"x = " + b"{a = " * 50_000,
        "long-string": b'name = "' + b"a" * 20_000_000 + b'"',
        "many-lines": seed + b"# a comment\n" * 500_000,
        "many-keys": b"[speech]\n" + b"".join(b"k%d = 1\n" % i for i in range(200_000)),
        "dotted": b"a" + b".a" * 100_000 + b" = 1",
        "not-utf8": b'name = "\xff\xfe"\n',
        "nul": b'name = "a\x00b"\n',
        "times": b'[reminders]\ntimes = ["25:99", "09:00", 7]\n',
        "huge-number": b"[speech]\nrate = 1" + b"0" * 5000 + b"\n",
        "escapes": b'name = "\\u001b[2J"\n',
        "date": b"[reminders]\ntimes = [9999-12-31T23:59:59]\n",
    }
    return out


def wav_files(folder: Path, rng: random.Random) -> dict[str, bytes]:
    seed = good_wav(folder)
    out = variants(seed, rng, header=44)
    audio = seed[44:]
    for rate in (0, 1, 7999, 192_001, 2**32 - 1):
        out[f"rate{rate}"] = wav_header(rate, 1, 16, len(audio)) + audio
    for channels in (0, 9, 65535):
        out[f"channels{channels}"] = wav_header(16000, channels, 16, len(audio)) + audio
    for bits in (0, 1, 7, 12, 64, 65535):
        out[f"bits{bits}"] = wav_header(16000, 1, bits, len(audio)) + audio
    for tag in (0, 2, 3, 0x55, 0xFFFE):
        out[f"tag{tag}"] = wav_header(16000, 1, 16, len(audio), tag) + audio
    out["claims-4GB"] = wav_header(16000, 1, 16, 0xFFFFFFFF) + audio
    out["claims-4GB-1Hz"] = wav_header(1, 1, 16, 0xFFFFFFFF) + bytes(4000)
    out["eleven-minutes"] = wav_header(16000, 1, 16, 16000 * 2 * 660) + bytes(16000 * 2 * 660)
    return out


def history_files(folder: Path, rng: random.Random) -> dict[str, bytes]:
    seed = good_history(folder)
    out = variants(seed, rng, header=100)
    page = 4096
    for i in range(20):  # damage inside one page after the first
        at = page * rng.randrange(1, max(2, len(seed) // page))
        out[f"flip-page{i}"] = seed[:at] + flips(seed[at : at + page], rng, 8) + seed[at + page :]
    other = folder / "other.sqlite3"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE notes (x)")
    conn.commit()
    conn.close()
    out["other-program"] = other.read_bytes()
    newer = folder / "newer.sqlite3"
    newer.write_bytes(seed)
    conn = sqlite3.connect(newer)
    conn.execute("PRAGMA user_version = 999")
    conn.close()  # the change is checkpointed from the -wal file into the file itself
    out["newer"] = newer.read_bytes()
    return out


@pytest.mark.timeout(600)
def test_truncated_oversized_and_random_files_are_refused_plainly(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    cases: list[tuple[str, str]] = []
    made = {
        "routine": routine_files(rng),
        "wav": wav_files(tmp_path, rng),
        "history": history_files(tmp_path, rng),
    }
    for kind, files in made.items():
        for name, data in files.items():
            folder = tmp_path / f"{kind}-{name}"  # one folder each: the history opener may add
            folder.mkdir()  # -wal and -shm files beside the file
            path = folder / {"routine": "routine.toml", "wav": "x.wav"}.get(kind, "history.sqlite3")
            path.write_bytes(data)
            cases.append((kind, str(path)))
    listing = tmp_path / "cases.json"
    listing.write_text(json.dumps(cases))
    code = (
        "from pathlib import Path; from tests.test_bad_input_sweep import run_cases; "
        f"run_cases(Path({str(listing)!r}))"
    )
    done = in_child(code, timeout=540)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(rows) == len(cases)
    crashed = [r for r in rows if str(r["result"]).startswith("crash")]
    slow = [r for r in rows if float(r["seconds"]) > CASE_SECONDS]
    changed = [r for r in rows if r["result"] == "refused" and not r["kept"]]
    named = {id(r): Path(p).parent.name for r, (_, p) in zip(rows, cases, strict=True)}
    problems = [f"{named[id(r)]}: {r['result']}" for r in crashed]
    problems += [f"{named[id(r)]}: {r['seconds']:.1f} s" for r in slow]
    problems += [f"{named[id(r)]}: refused but changed" for r in changed]
    assert problems == [], "\n".join(problems)
    by = {
        (r["kind"], Path(p).parent.name): r["result"] for r, (_, p) in zip(rows, cases, strict=True)
    }
    # the good files open, and the known bad ones are refused
    assert by[("routine", "routine-whole")] == "ok"
    assert by[("wav", "wav-whole")] == "ok"
    assert by[("history", "history-whole")] == "ok"
    for name in ("rate1", "channels65535", "claims-4GB-1Hz", "eleven-minutes", "empty", "zeros"):
        assert by[("wav", f"wav-{name}")] == "refused", name
    for name in ("deep-lists", "deep-tables", "dotted", "not-utf8", "random5000"):
        assert by[("routine", f"routine-{name}")] == "refused", name
    for name in ("other-program", "newer", "random64", "zeros", "cut100"):
        assert by[("history", f"history-{name}")] == "refused", name


# --- hypothesis, in the child process too ---------------------------------------------------


def _check(kind: str, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / {"routine": "r.toml", "wav": "x.wav"}.get(kind, "history.sqlite3")
        path.write_bytes(data)
        got = outcome(kind, path)
    if str(got["result"]).startswith("crash") or float(str(got["seconds"])) > CASE_SECONDS:
        raise AssertionError(f"{kind} {data[:80]!r}: {got}")


SWEEP = settings(
    max_examples=150,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@SWEEP
@given(
    rate=st.integers(0, 2**32 - 1),
    channels=st.integers(0, 2**16 - 1),
    bits=st.sampled_from([0, 1, 8, 12, 16, 24, 32, 64, 65535]),
    tag=st.sampled_from([0, 1, 2, 3, 6, 7, 0x55, 0xFFFE]),
    claimed=st.integers(0, 2**32 - 1),
    actual=st.integers(0, 20_000),
)
def sweep_wav_headers(
    rate: int, channels: int, bits: int, tag: int, claimed: int, actual: int
) -> None:
    _check("wav", wav_header(rate, channels, bits, claimed, tag) + bytes(actual))


@SWEEP
@given(text=st.text(max_size=400) | st.binary(max_size=400).map(lambda b: b.decode("latin-1")))
def sweep_routine_text(text: str) -> None:
    _check("routine", text.encode("utf-8", "surrogatepass"))


@SWEEP
@given(data=st.binary(max_size=5000))
def sweep_history_bytes(data: bytes) -> None:
    _check("history", b"SQLite format 3\x00" + data if data[:1] == b"\x00" else data)


@pytest.mark.timeout(600)
@pytest.mark.parametrize(
    "sweep", ["sweep_wav_headers", "sweep_routine_text", "sweep_history_bytes"]
)
def test_hypothesis_finds_no_crash_or_hang(sweep: str) -> None:
    done = in_child(f"from tests.test_bad_input_sweep import {sweep}; {sweep}()", timeout=540)
    assert done.returncode == 0, done.stderr[-3000:]


def test_the_sweep_would_see_a_crash(tmp_path: Path) -> None:
    """The harness itself: an opener that raises something else is reported as a crash."""
    path = tmp_path / "x.wav"
    path.write_bytes(b"")
    OPENERS["boom"] = lambda p: (_ for _ in ()).throw(MemoryError("6 GiB"))
    try:
        assert outcome("boom", path)["result"] == "crash: MemoryError: 6 GiB"
    finally:
        del OPENERS["boom"]
    shutil.rmtree(tmp_path, ignore_errors=True)
