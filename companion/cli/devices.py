"""``companion devices``: the microphones and speakers the audio system offers."""

from __future__ import annotations

import argparse
import dataclasses
import json

from companion.audio.devices import devices
from companion.errors import ExitStatus


def register(
    subs: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the command."""
    p = subs.add_parser(
        "devices",
        parents=[common],
        help="list microphones and speakers",
        description="List sound devices. Exits with status 4 when there is no microphone.",
    )
    p.add_argument("--json", action="store_true", help="one JSON object per device")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print inputs then outputs; status 4 when no microphone exists (the keyboard still works)."""
    found = devices(refresh=True)
    inputs = [d for d in found if d.inputs > 0]
    outputs = [d for d in found if d.outputs > 0]
    if args.json:
        for d in found:
            print(json.dumps(dataclasses.asdict(d)))
    else:
        for title, group, channels, flag in (
            ("Microphones (input)", inputs, "inputs", "default_input"),
            ("Speakers (output)", outputs, "outputs", "default_output"),
        ):
            print(f"{title}:")
            if not group:
                print("  none found")
            for d in group:
                mark = "*" if getattr(d, flag) else " "
                print(
                    f"  {mark} {d.index:>3}  {d.name:<32} {getattr(d, channels):>3} ch "
                    f"{d.default_rate:>6} Hz  {d.host_api}"
                )
        if inputs or outputs:
            print("* = used by default. Choose another with --device NUMBER or a part of its name.")
    if not inputs:
        print("No microphone was found: spoken commands are off; the keyboard and switch work.")
        return int(ExitStatus.DEVICE)
    return 0
