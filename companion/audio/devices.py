"""The sound devices the audio system offers: listing them, and choosing one by index, name
or part of its name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from companion.audio.sound_system import (
    HINT,
    NOT_ANSWERING,
    OPEN_S,
    leave_behind,
    locked,
    open_streams,
    require,
    sd,
)
from companion.bounded import Overdue, call_within
from companion.errors import DeviceError


@dataclass(frozen=True)
class AudioDevice:
    """One sound device as the audio system reports it."""

    index: int
    name: str
    inputs: int
    """Input channels (0 for a speaker)."""
    outputs: int
    """Output channels (0 for a microphone)."""
    default_rate: int
    """The device's own sample rate."""
    host_api: str
    default_input: bool = False
    default_output: bool = False


def devices(refresh: bool = True) -> list[AudioDevice]:
    """Every sound device; ``refresh`` asks the audio system again (devices plugged in since,
    or an audio server started since), unless a stream of ours is open."""
    require()
    try:
        return call_within(OPEN_S, locked(lambda: read_devices(refresh), OPEN_S), "listing")
    except Overdue as exc:
        leave_behind()
        raise DeviceError(
            f"The sound devices could not be listed within {exc.seconds:g} s: {NOT_ANSWERING}.",
            hint=HINT,
        ) from None


def read_devices(refresh: bool) -> list[AudioDevice]:
    """``devices``, holding the PortAudio lock."""
    try:
        if refresh and not open_streams:
            sd._terminate()
            sd._initialize()
        raw: Any = sd.query_devices()
        apis = sd.query_hostapis()
        default_in, default_out = sd.default.device
    except (sd.PortAudioError, OSError) as exc:
        raise DeviceError(f"The audio system cannot be used: {exc}") from exc
    if default_in is None or default_in < 0:
        default_in = apis[0]["default_input_device"] if apis else -1
    if default_out is None or default_out < 0:
        default_out = apis[0]["default_output_device"] if apis else -1
    return [
        AudioDevice(
            index=int(d["index"]),
            name=str(d["name"]),
            inputs=int(d["max_input_channels"]),
            outputs=int(d["max_output_channels"]),
            default_rate=int(d["default_samplerate"]),
            host_api=str(apis[d["hostapi"]]["name"]),
            default_input=d["index"] == default_in,
            default_output=d["index"] == default_out,
        )
        for d in raw
    ]


def choose(
    choice: str | int | None, *, want_input: bool = True, refresh: bool = False
) -> AudioDevice:
    """The device by index, exact name or unique part of its name (None: the default one)."""
    return pick(devices(refresh), choice, want_input)


def pick(
    found_devices: list[AudioDevice], choice: str | int | None, want_input: bool
) -> AudioDevice:
    """``choose`` among ``found_devices``."""
    kind = "microphone" if want_input else "speaker"
    usable = [d for d in found_devices if (d.inputs if want_input else d.outputs) > 0]
    if not usable:
        raise DeviceError(
            f"No {kind} was found.",
            hint="Plug one in, or use the keyboard (companion devices lists them).",
        )
    if choice is None or choice == "":
        flag = "default_input" if want_input else "default_output"
        return next((d for d in usable if getattr(d, flag)), usable[0])
    text = str(choice).strip()
    if text.isdigit():
        found = [d for d in usable if d.index == int(text)]
    else:
        found = [d for d in usable if d.name.lower() == text.lower()] or [
            d for d in usable if text.lower() in d.name.lower()
        ]
    if len(found) == 1:
        return found[0]
    names = ", ".join(f"{d.index} {d.name}" for d in (found or usable))
    what = "matches several" if found else "matches no"
    raise DeviceError(
        f"'{choice}' {what} {kind}: {names}.", hint="Give the number shown by: companion devices"
    )
