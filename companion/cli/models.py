"""``companion models``: list installed speech models, download one, check a model folder."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from companion import commands, paths
from companion.cli import downloads
from companion.errors import ExitStatus, ModelError
from companion.listen import model_download, models


def register(
    subs: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the command and its sub-commands."""
    own = downloads.action_group(
        subs, common, "models", help="list, download or check speech models"
    )

    ls = own.add_parser("list", parents=[common], help="show the installed speech models")
    ls.add_argument("--model", metavar="DIR", help="also check and show this model folder")
    ls.set_defaults(func=run_list)

    dl = own.add_parser(
        "download", parents=[common], help="download a Vosk model into the models folder"
    )
    dl.add_argument("key", metavar="NAME", help=f"model to fetch: {', '.join(models.CATALOG)}")
    dl.add_argument("--url", help=f"fetch from this address instead (or set {models.URL_ENV})")
    dl.add_argument(
        "--sha256",
        metavar="HEX",
        help="expected SHA-256 of the archive when it differs from the published one",
    )
    dl.add_argument("--force", action="store_true", help="download again even if installed")
    dl.set_defaults(func=run_download)

    ck = own.add_parser("check", parents=[common], help="load a Vosk model folder to test it")
    ck.add_argument("model", metavar="DIR")
    ck.set_defaults(func=run_check)


def run_list(args: argparse.Namespace) -> int:
    """Print one line per model: name, engine, size, path."""
    folder = paths.models_dir()
    found = models.installed(folder)
    if args.model:
        path = Path(args.model).expanduser()
        models.check_vosk_dir(path)
        found.append(models.InstalledModel(path.name, path, models.dir_size(path), "vosk"))
    print(f"Models folder: {folder}")
    print(f"  {'NAME':<30} {'ENGINE':<13} {'SIZE':>9}  PATH")
    for m in found:
        note = (
            ""
            if not m.builtin
            else "  (built in)"
            if m.engine == "pocketsphinx"
            else ("  (from a Python package)")
        )
        print(f"  {m.name:<30} {m.engine:<13} {downloads.mb(m.size_bytes):>9}  {m.path}{note}")
    if not any(m.engine == "vosk" and not m.builtin for m in found):
        print(
            "No Vosk model installed; PocketSphinx is used. "
            "For Vosk: companion models download en-us"
        )
    return 0


def run_download(args: argparse.Namespace) -> int:
    """Download, verify and install a model; prints where it went."""
    spec = models.spec(args.key)
    if args.sha256:
        spec = dataclasses.replace(spec, sha256=args.sha256.lower(), size=0)
    folder = paths.models_dir()
    target = folder / spec.name
    if models.is_vosk_dir(target) and not args.force:
        print(f"{spec.name} is already installed in {target}")
        return 0
    with downloads.progress_bar(f"Downloading {spec.name}") as bar:
        installed = model_download.install(spec, folder, url=args.url, progress=bar, force=True)
    print(f"Installed {spec.name} ({downloads.mb(models.dir_size(installed))}) in {installed}")
    return 0


def run_check(args: argparse.Namespace) -> int:
    """Load the model with Vosk and report how many command phrases it can recognise."""
    from companion.recognisers.vosk_engine import VoskEngine  # vosk's native library: here only

    path = Path(args.model).expanduser()
    engine = VoskEngine(path)
    phrases = list(commands.vocabulary("en").phrases_for(frozenset(commands.Command)))
    try:
        engine.start(phrases)
    except ModelError:
        print(f"{path}: loads with Vosk, but knows none of the English command phrases")
        return int(ExitStatus.MODEL)
    print(
        f"{path}: loads with Vosk; knows {len(engine.phrases)} of {len(phrases)} command "
        f"phrases; out-of-grammar word [unk]: {'yes' if engine.has_unknown else 'no'}"
    )
    if engine.dropped:
        print(f"  not in its vocabulary: {', '.join(engine.dropped)}")
    return 0
