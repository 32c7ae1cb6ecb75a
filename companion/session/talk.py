"""Composes the session's lines from prompts/: plan, help lists, where-you-are, summaries."""

from __future__ import annotations

from dataclasses import dataclass

from companion import library
from companion.commands import Command, Vocabulary
from companion.plan import Change, HandChange, Plan, PlannedExercise
from companion.progression import rule_key
from companion.prompts import ExerciseWording, Prompts

QUESTION_SECONDS = 25.0
"""Rough time for the pain and effort questions after a set."""
INTRO_SECONDS = 30.0
"""Rough time to read an exercise's steps."""

_HELP_ORDER = (
    Command.START,
    Command.RESUME,
    Command.YES,
    Command.NO,
    Command.NUMBER,
    Command.STOP,
    Command.PAUSE,
    Command.NEXT,
    Command.BACK,
    Command.REPEAT,
    Command.SLOWER,
    Command.FASTER,
    Command.LOUDER,
    Command.QUIETER,
    Command.HOW_MANY,
    Command.TIRED,
    Command.HURTS,
    Command.END,
    Command.HELP,
)


def estimate_minutes(items: tuple[PlannedExercise, ...]) -> int:
    """About how long the plan takes, in whole minutes (at least one)."""
    total = 0.0
    for item in items:
        per_set = item.reps * 2 + 6 if item.timed else item.reps * item.seconds_per_rep
        total += INTRO_SECONDS + item.sets * (per_set + QUESTION_SECONDS)
        total += (item.sets - 1) * item.rest_seconds
    return max(1, round(total / 60))


@dataclass(frozen=True)
class Talk:
    """Line composer bound to one language and the user's affected side."""

    words: Prompts
    vocab: Vocabulary
    affected_side: str
    days_needed: int = 1
    """The routine's progression.days_needed: a reason names one day or several."""

    def line(self, key: str, **values: object) -> str:
        """A line of the session wording (``variant=N`` picks from a list of lines)."""
        variant = values.pop("variant", None)
        return self.words.text(
            f"session.{key}", variant=variant if isinstance(variant, int) else None, **values
        )

    def exercise(self, exercise_id: str) -> ExerciseWording:
        """Wording of an exercise, with the user's hands filled in."""
        other = "right" if self.affected_side == "left" else "left"
        return self.words.exercise(
            exercise_id,
            hand=self.line("your_hand", side=self.affected_side),
            other=self.line("your_hand", side=other),
        )

    def plan_lines(self, plan: Plan, items: tuple[PlannedExercise, ...]) -> list[str]:
        """ "Today: three exercises, about eight minutes." and one line per change."""
        minutes = estimate_minutes(items)
        if not items:
            return [self.line("nothing_planned")]
        key = "plan_one" if len(items) == 1 else "plan"
        if minutes == 1:
            key = "plan_one_short" if len(items) == 1 else "plan_short"
        lines = [self.line(key, count=len(items), minutes=minutes)]
        lines += [self.change_line(c) for c in plan.changes]
        return [s for s in lines if s]

    def change_line(self, change: Change) -> str:
        """One short sentence saying what changed and why."""
        key = rule_key(change, self.words, self.days_needed)
        if not self.words.has(key):
            return ""
        name = self.exercise(change.exercise_id).name if change.exercise_id in library.BY_ID else ""
        return self.words.text(
            key, exercise=name, old=change.old, new=change.new, days=self.days_needed
        )

    def intro_lines(self, number: int, total: int, item: PlannedExercise) -> list[str]:
        """Exercise name and position, equipment, steps and safety cue."""
        ex = library.get(item.exercise_id)
        w = self.exercise(item.exercise_id)
        lines = [self.line("intro", number=number, total=total, name=w.name)]
        kit = [self.words.equipment(i) for i in ex.equipment if i != "none"]
        if kit:
            lines.append(self.line("equipment", items=f" {self.line('and_word')} ".join(kit)))
        lines += list(w.steps)
        if ex.passive_ok:
            lines.append(self.line("passive_ok"))
        lines.append(w.safety)
        return lines

    def step_lines(self, item: PlannedExercise) -> list[str]:
        """How to do the exercise (its steps and safety cue): "repeat" while a set runs."""
        w = self.exercise(item.exercise_id)
        return [*w.steps, w.safety]

    def options(self, live: frozenset[Command]) -> str:
        """The phrases to teach for the live commands: "start, repeat, or help"."""
        phrases = []
        for cmd in _HELP_ORDER:
            if cmd not in live:
                continue
            if cmd is Command.NUMBER:
                phrases.append(self.line("number_option"))
            elif cmd in self.vocab.phrases:
                phrases.append(self.vocab.teach(cmd).replace("i'm", "I'm"))
        if len(phrases) < 2:
            return "".join(phrases)
        return ", ".join(phrases[:-1]) + f", {self.line('or_word')} " + phrases[-1]

    def key_options(self, keys: list[tuple[str, Command]]) -> str:
        """Keys named with what they do: "y for yes, or n for no"."""
        parts = []
        for key, cmd in keys:
            named = f"keys.names.{key}"
            name = self.words.text(named) if self.words.has(named) else key
            action = (
                self.line("number_option")
                if cmd is Command.NUMBER
                else self.words.text(f"keys.actions.{cmd.value}")
            )
            parts.append(self.words.text("keys.key_for", name=name, action=action))
        if len(parts) < 2:
            return "".join(parts)
        return ", ".join(parts[:-1]) + f", {self.line('or_word')} " + parts[-1]

    def things_needed(self, items: tuple[PlannedExercise, ...]) -> str:
        """ "You will need a water bottle and a pen." for today's exercises ("" for none)."""
        kit: list[str] = []
        for item in items:
            for thing in library.get(item.exercise_id).equipment:
                if thing != "none" and thing not in kit:
                    kit.append(thing)
        if not kit:
            return ""
        return self.line("things_needed", items=self.join([self.words.equipment(k) for k in kit]))

    def join(self, names: list[str]) -> str:
        """ "a, b and c"."""
        if len(names) < 2:
            return "".join(names)
        return ", ".join(names[:-1]) + f" {self.line('and_word')} " + names[-1]

    def hand_lines(self, changes: tuple[HandChange, ...]) -> list[str]:
        """One line per exercise swapped or left out because the hand cannot pinch."""
        out = []
        for change in changes:
            name = self.exercise(change.exercise_id).name
            if change.instead:
                out.append(
                    self.line("hand_swapped", name=name, instead=self.exercise(change.instead).name)
                )
            else:
                out.append(self.line("hand_left_out", name=name))
        return out

    def count_line(self, n: int, phase_index: int, phases: tuple[str, ...]) -> str:
        """The word said on a beat: "3. Palm up." then "And down."."""
        if not phases:
            return self.line("count_only", n=n)
        phase = phases[phase_index]
        if phase_index == 0:
            return self.line("count_first", n=n, phase=phase.capitalize())
        return self.line("count_phase", phase=phase.capitalize())
