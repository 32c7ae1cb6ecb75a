"""``companion doctor``: checks the set-up and says in plain words what to fix."""

from __future__ import annotations

import argparse
import json

from companion import doctor
from companion.errors import ExitStatus

MARKS = {doctor.Status.OK: "OK  ", doctor.Status.WARN: "WARN", doctor.Status.FAIL: "FAIL"}


def register(
    subs: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the ``doctor`` command."""
    p = subs.add_parser(
        "doctor",
        parents=[common],
        help="check microphone, speakers, speech, models, files and daemon",
        description="Checks the set-up and says what to fix. Exits with status 1 when something "
        "essential is broken (warnings alone exit 0).",
    )
    p.add_argument("--json", action="store_true", help="one JSON object per check")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run every check, print the findings, exit 1 if an essential one failed."""
    findings = doctor.run_all(doctor.context(args.data_dir))
    for f in findings:
        if args.json:
            print(
                json.dumps(
                    {"check": f.name, "status": f.status.value, "detail": f.detail, "fix": f.fix}
                )
            )
            continue
        print(f"[{MARKS[f.status]}] {f.name}: {f.detail}")
        if f.fix:
            print(f"         To fix: {f.fix}")
    broken = [f.name for f in findings if f.status is doctor.Status.FAIL]
    warned = [f.name for f in findings if f.status is doctor.Status.WARN]
    if not args.json:
        print()
        if broken:
            print(f"Needs fixing before use: {', '.join(broken)}.")
        elif warned:
            print(f"Ready, with less: {', '.join(warned)} (see above).")
        else:
            print("All good: the companion is ready.")
    return int(ExitStatus.ERROR) if broken else 0
