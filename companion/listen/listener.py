"""The listener loop: cuts 16-bit mono PCM into frames and utterances, feeds the recogniser,
and applies what ``decide`` and ``own_voice`` conclude. The one place with side effects."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Mapping

from companion.classifier.combine_opinions import Verdict
from companion.classifier.word_classifier import WordJudge
from companion.commands import SAFETY, Command, Context, Parsed, Vocabulary, normalise
from companion.listen import decide, own_voice
from companion.listen.companion_speech import CompanionSpeech
from companion.listen.endpoint import Edge, Segmenter
from companion.listen.frames import Framer
from companion.listen.live import Live, live_for
from companion.listen.settings import ListenerSettings
from companion.listen.turn import Turn, TurnOpinions
from companion.listen.turn_verdict import decision_for, verdict_on
from companion.listen.vad import EnergyVad
from companion.listen.verdict import Decision
from companion.recognisers.base import Engine, Hypothesis, Reader

log = logging.getLogger(__name__)

__all__ = ["Decision", "Listener", "ListenerSettings"]


class Listener:
    """Turns 16-bit mono PCM into command decisions; free of threads and clocks."""

    def __init__(
        self,
        engine: Engine,
        vocabulary: Vocabulary,
        end_silence_s: float = 1.5,
        settings: ListenerSettings | None = None,
        own_voice_engine: Engine | None = None,
        classifier: WordJudge | None = None,
        reader: Reader | None = None,
    ) -> None:
        self.engine = engine
        self.classifier = classifier
        """Second opinion on the user's turns: which word the audio is (None: the engine's
        own rejection alone). Not used on what begins in the companion's voice."""
        self.reader = reader
        """Third opinion on the user's turns: how likely each live phrase is to an
        open-vocabulary recogniser (None: without it). Not used on the companion's voice."""
        self.own_voice_engine = own_voice_engine or engine
        """Decodes what begins while the companion speaks (or in its tail), so that its voice
        never adapts ``engine``, which hears the user's turns."""
        self.vocabulary = vocabulary
        base = settings or ListenerSettings()
        self.settings = ListenerSettings(**{**base.__dict__, "end_silence_s": end_silence_s})
        s = self.settings
        self.segmenter = Segmenter(end_silence_s=end_silence_s, max_utterance_s=s.max_utterance_s)
        self.vad = EnergyVad()
        self._framer = Framer(2 * max(1, round(engine.sample_rate * s.frame_s)))
        self._frame_s = self._framer.frame_bytes / 2 / engine.sample_rate
        self._held: list[Decision] = []
        self._pre_roll: deque[bytes] = deque(maxlen=max(1, round(s.pre_roll_s / self._frame_s)))
        self._position_s = 0.0
        self._live = Live()
        self._next: Live | None = None
        """What the session listens for since an utterance under way began (``set_context``)."""
        self._active = False
        """An utterance is under way (``_turn``)."""
        self._turn = self._new_turn(0.0, engine)
        """The utterance under way, or the last one."""
        self._rest_of_word_s = 0.0
        """After a decision made while the sound went on: silence still needed before anything
        is heard again (its rest is not a second command)."""
        self._own = CompanionSpeech()
        self.heard = ""
        """Words of the last finished utterance, accepted or not ("" if nothing)."""
        self.last_confidence = 0.0
        """Confidence of the last finished utterance."""

    @property
    def position_s(self) -> float:
        """Seconds of audio processed so far."""
        return self._position_s

    @property
    def context(self) -> Context | None:
        """The session's context listened in (None before the first)."""
        return (self._next or self._live).context

    @property
    def commands(self) -> frozenset[Command]:
        """The commands live now."""
        return (self._next or self._live).commands

    @property
    def _table(self) -> Mapping[str, Parsed]:
        """The live phrases, each with what it means (read by the tests)."""
        return self._live.table

    def set_context(self, context: Context, commands: frozenset[Command]) -> None:
        """Listen for ``commands`` from now on: an utterance under way is judged as begun, and
        only a safety word (``SAFETY``) in it is kept (a "stop" said as a rest ends)."""
        if Command.START in commands and Command.STOP in commands:
            raise ValueError("start and stop are never live together")
        if context == self.context and commands == self.commands:
            return
        live = live_for(context, commands, self.vocabulary, self.settings.quick_stop_contexts)
        self._live, self._next = (self._live, live) if self._active else (live, None)

    def own_speech(self, text: str | None) -> None:
        """What the companion is saying now (None when it has stopped)."""
        self._own.hear(self._position_s, None if text is None else normalise(text), self._active)
        if text is None:
            if self._own.speaking:  # an utterance begun in its voice ends at its first pause
                self._own.until_s = self._position_s + self.settings.own_voice_tail_s
            self._own.speaking = False
            return
        self._own.speaking = True

    def process(self, pcm16: bytes) -> list[Decision]:
        """Take more audio; returns the decisions it completed."""
        out: list[Decision] = self._held
        self._held = []
        for frame in self._framer.frames(pcm16):
            decision = self._frame(frame)
            if decision is not None:
                out.append(decision)
        return out

    def flush(self) -> list[Decision]:
        """End of input: decide on the utterance under way, if any."""
        out: list[Decision] = []
        frame = self._framer.last()
        if frame is not None:
            decision = self._frame(frame)
            if decision is not None:
                out.append(decision)
        if self._active:
            decision = self._finish()
            if decision is not None:
                out.append(decision)
        return out

    def _frame(self, frame: bytes) -> Decision | None:
        self._position_s += self._frame_s
        if not self._live.table:
            return None
        speech = self.vad.is_speech(frame, self._frame_s)
        if self._rest_of_word_s > 1e-9:  # a decision came before the sound ended: let it end
            pause = self.settings.pause_s
            self._rest_of_word_s = pause if speech else self._rest_of_word_s - self._frame_s
            return None
        edge = self.segmenter.process(self._frame_s, speech)
        if not self._active:
            if edge is Edge.START:
                self._begin()
            else:
                self._pre_roll.append(frame)
                return None
        turn = self._turn
        if speech:
            turn.heard_at_pause = ""
            turn.speech_frames += 1
        if self.segmenter.silence_s <= self.settings.feed_tail_s + 1e-9:
            turn.keep(frame)
            partial = turn.decoder.feed(frame)
            if partial is not None:
                turn.partial = normalise(partial.text)
        if self._turn_ends(edge):
            return self._finish()
        return None

    def _turn_ends(self, edge: Edge | None) -> bool:
        """Whether the utterance ends at this frame. The rules are asked in this order, and
        what the opinions heard at a pause is kept on the turn here."""
        if edge is Edge.END:
            return True
        turn, s = self._turn, self.settings
        silence = self.segmenter.silence_s
        own = self._own.covers(self._turn.start_s)
        # over its voice the bound pass names "stop" or "it hurts" for any sound: never settled
        if not own and any(
            decide.settled_on(words, self._live.table, silence, s)
            for words in (turn.partial, turn.heard_at_pause)
        ):
            return True
        if self._own.ends_at_pause(turn.start_s, self._position_s, silence, s.pause_s):
            return True
        if self.classifier is not None and decide.at_pause(silence, s.pause_s, self._frame_s):
            found = decide.hear_at_pause(
                self._live,
                self._opinions(),
                turn.heard_at_pause,
                self._own.candidates(self._live.table) if own else None,
                self._own_voice_word,
                s,
            )
            turn.heard_at_pause = found.heard_at_pause
            if found.stop_read is not None:
                turn.stop_read = found.stop_read
            if found.ends:
                return True
        step = 2 * round(self.engine.sample_rate * s.own_voice_check_s)
        if (
            self.classifier is not None
            and turn.audio
            and own
            and own_voice.check_due(len(turn.audio), turn.checked_at, step)
        ):
            turn.checked_at = len(turn.audio)
            return self._own_voice_word() is not None
        return False

    def _begin(self) -> None:
        # Speech began with the run of speech frames that started the utterance; the pre-roll
        # before it is fed to the engine but is not part of what was said.
        start_s = self._position_s - self.segmenter.utterance_s
        table = self._live.table
        decoder, phrases = self.engine, list(table)
        self._own.begin_turn(start_s - self.settings.own_voice_tail_s)
        if self._own.covers(start_s):
            decoder = self.own_voice_engine
            phrases = own_voice.live_phrases(table)
        decoder.start(phrases or list(table))
        self._turn = self._new_turn(start_s, decoder)
        self._active = True
        for old in self._pre_roll:
            self._turn.keep(old)
            decoder.feed(old)
        self._pre_roll.clear()

    def _new_turn(self, start_s: float, decoder: Engine) -> Turn:
        keep = self.classifier is not None or self.reader is not None
        max_bytes = 2 * round(self.engine.sample_rate * self.settings.max_utterance_s)
        return Turn(start_s, decoder, keep, max_bytes)

    def _finish(self) -> Decision | None:
        turn = self._turn
        hyp = turn.decoder.finish()
        mid_sound = self.segmenter.silence_s < self.settings.pause_s - 1e-9
        self._active = False
        turn.partial = ""
        turn.heard_at_pause = ""
        self.segmenter.reset()
        decision = self._judge(hyp)
        if self._next is not None:  # the session moved on while it was said
            if decision is not None and decision.command not in SAFETY:
                decision = None
            self._live, self._next = self._next, None
        if decision is not None and mid_sound:  # the rest of the word is not heard again
            self._rest_of_word_s = self.settings.pause_s
        return decision

    def _judge(self, hyp: Hypothesis) -> Decision | None:
        text = normalise(hyp.text)
        self.heard, self.last_confidence = text, hyp.confidence
        verdict = verdict_on(
            text,
            hyp.confidence,
            self._live,
            self._own,
            self._turn,
            self._opinions(),
            self._own_voice_word,
            self.settings,
            hyp.start_s,
        )
        if verdict is None or verdict.phrase is None:
            return None
        self.heard, self.last_confidence = verdict.phrase, verdict.confidence
        return decision_for(verdict, self._live.table, self._position_s)

    def _own_voice_word(self) -> Verdict | None:
        """``own_voice.word_over_own_voice`` for the turn, once per length of its audio."""
        if self.classifier is None:
            return None
        turn = self._turn
        key = len(turn.audio)
        if turn.own_word[0] != key:
            found = own_voice.word_over_own_voice(
                self._live, self._own.candidates(self._live.table), self._opinions(), self.settings
            )
            turn.own_word = (key, found)
        return turn.own_word[1]

    def _opinions(self) -> TurnOpinions:
        """The classifier's and the reader's views of the turn; over the companion's voice
        they hear only its last ``own_voice_window_s`` (the user's word, not the line said
        before it)."""
        window = None
        if self._own.covers(self._turn.start_s):
            window = 2 * round(self.engine.sample_rate * self.settings.own_voice_window_s)
        return TurnOpinions(
            self._turn,
            self.classifier,
            self.reader,
            self._live.forms,
            window,
            self.engine.sample_rate,
        )
