"""``companion help``: what to say, which keys to press, and the stroke warning signs."""

from __future__ import annotations

import argparse
import logging
import textwrap

from companion import commands, paths, prompts, routine
from companion.commands import Command
from companion.errors import CompanionError
from companion.inputs import keymap

log = logging.getLogger(__name__)

KEY_NAMES = {" ": "SPACE", "\r": "ENTER", "\n": "ENTER", "\x1b": "ESC"}


def register(
    subs: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the ``help`` command."""
    p = subs.add_parser(
        "help", parents=[common], help="what to say, which keys to press, stroke warning signs"
    )
    p.add_argument("topic", nargs="?", help="a command to explain (e.g. routine)")
    p.set_defaults(func=run)


def emergency_number(data_dir: str | None, words: prompts.Prompts) -> str:
    """The routine's emergency number, or the fallback wording (help must work even then)."""
    try:
        number = routine.load(paths.resolve(data_dir).routine_file).safety.emergency_number
    except CompanionError as exc:
        log.warning("routine not readable for help: %s", exc)
        number = ""
    return number or words.text("safety.emergency_fallback")


def keys_for(cmd: Command) -> list[str]:
    """The keys that give ``cmd``."""
    keys = [KEY_NAMES.get(k, k) for k, c in keymap.KEYS.items() if c is cmd]
    if cmd is Command.NO:
        keys.append("n")
    if cmd is Command.NUMBER:
        keys.append("0-9")
    return keys


def warning_signs(words: prompts.Prompts, number: str) -> list[str]:
    """The stroke warning signs, one line each, with the emergency number filled in."""
    return [line.format(emergency_number=number) for line in words.raw("safety.warning_sign_list")]


def render(words: prompts.Prompts, vocab: commands.Vocabulary, number: str) -> str:
    """The whole help text."""
    h = words.tables["help"]
    wrap = textwrap.TextWrapper(width=96, subsequent_indent="    ")
    out = [h["title"], "=" * len(h["title"]), "", *wrap.wrap(h["say_heading"]), ""]
    described = h["commands"]
    order = [Command(k) for k in described] + [c for c in Command if c.value not in described]
    for cmd in order:
        if cmd is Command.NUMBER:
            said = ", ".join(vocab.numbers[n][0] for n in sorted(vocab.numbers))
        else:
            said = ", ".join(f'"{p}"' for p in vocab.phrases.get(cmd, ()))
        keys = keys_for(cmd)
        line = f"  {described.get(cmd.value, cmd.value)}: say {said}"
        if keys:
            line += f"; key {' or '.join(keys)}"
        out += wrap.wrap(line)
    out += ["", h["keys_heading"], *wrap.wrap("  " + keymap.LEGEND)]
    out += ["", h["switch_heading"], *wrap.wrap("  " + keymap.SWITCH_LEGEND), ""]
    bar = "!" * len(h["signs_heading"])
    out += [bar, h["signs_heading"], bar]
    out += [f"  * {s}" for s in warning_signs(words, number)]
    out += [*wrap.wrap(h["signs_footer"]), "", *wrap.wrap(h["more"])]
    return "\n".join(out)


def run(args: argparse.Namespace) -> int:
    """Print the help (or one command's options)."""
    if args.topic:
        # Not at the top: cli.main builds every command's parser, this module's included.
        from companion.cli.main import build_parser

        parser = build_parser()
        parser.parse_args([args.topic, "--help"])  # prints the command's help and exits 0
    words = prompts.load("en")
    print(render(words, commands.vocabulary("en"), emergency_number(args.data_dir, words)))
    return 0
