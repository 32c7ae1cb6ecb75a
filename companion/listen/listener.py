"""The listener: chunking, endpointing, recognition, rejection and own-voice filtering."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher

from companion.commands import SAFETY, Command, Parsed, Vocabulary, normalise
from companion.listen.base import Engine, Hypothesis
from companion.listen.endpoint import Edge, Segmenter
from companion.listen.phrase_scorer import PhraseJudge, written_forms
from companion.listen.second_opinion import (
    OpinionSettings,
    ReadingSettings,
    Verdict,
    judge,
    reread,
)
from companion.listen.vad import EnergyVad
from companion.listen.word_classifier import WordJudge

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Decision:
    """A command the listener accepted."""

    command: Command
    value: int | None
    """The number in the number context, else None."""
    text: str
    """The words heard."""
    confidence: float
    """0-1; from the engine's second opinion."""
    decided_at_s: float
    """Position in the audio fed so far at which it was decided."""
    unsure: bool = False
    """The session should ask "I heard ... Is that right?" (never for safety commands)."""


@dataclass(frozen=True)
class ListenerSettings:
    """How the listener cuts and judges speech."""

    end_silence_s: float = 1.5
    """Silence that ends an utterance whose words are not yet a whole command."""
    settle_s: float = 0.5
    """Silence after a whole command (that no longer phrase starts with) before acting."""
    prefix_settle_s: float = 0.7
    """Same, when a longer live phrase starts with the words heard ("go" / "go back")."""
    safety_settle_s: float = 0.06
    """Silence after a safety command the recogniser heard before acting."""
    pause_s: float = 0.1
    """A pause in an utterance at which the word classifier (and, while something runs, the
    reader) is asked what was said."""
    frame_s: float = 0.03
    """Audio is judged and fed in frames of this length."""
    feed_tail_s: float = 0.3
    """Silence after speech still given to the engine; the rest is only counted."""
    pre_roll_s: float = 0.3
    """Audio kept from before speech was detected and fed with it."""
    max_utterance_s: float = 6.0
    """Longest utterance decoded; bounds every decode."""
    min_confidence: float = 0.6
    """Below this a hypothesis is rejected."""
    safety_min_confidence: float = 0.4
    """Below this a safety command is rejected (lower: a missed "stop" costs more)."""
    confirm_contexts: frozenset[str] = frozenset({"number"})
    """Contexts where a weak result is accepted as unsure (to be confirmed), not dropped."""
    confirm_min_confidence: float = 0.4
    """Floor for those contexts (PocketSphinx: the closed pass alone is enough)."""
    unsure_below: float = 0.8
    """Below this an accepted non-safety command is marked unsure."""
    own_voice_tail_s: float = 0.5
    """After the companion stops speaking, its words are still ignored this long."""
    own_voice_check_s: float = 0.25
    """Over the companion's voice, the classifier hears the utterance's last window this often
    (there may be no pause after a word said over it)."""
    own_voice_read_p: float = 0.1
    """Over the companion's voice, a safety word the classifier names needs at least this from
    the reader (its voice alone: never above 0.01 in 20 minutes of its counting, while the
    classifier gave "stop" up to 0.96; measured live, docs/benchmarks.md)."""
    own_voice_alone_p: float = 0.99
    """Without the reader (turned off), the classifier's own bar over the companion's voice
    (its voice alone reached 0.96 in 20 minutes of counting: without the reader, "stop" over
    its voice is rarely heard)."""
    own_voice_window_s: float = 1.0
    """Over the companion's voice, the word classifier and the reader hear only the last this
    much of an utterance (the user's word, not the line said before it; the classifier learnt
    from one-second clips)."""
    opinion: OpinionSettings = OpinionSettings()
    """How the word classifier's second opinion is weighed (``second_opinion``)."""
    quick_stop_contexts: frozenset[str] = frozenset({"counting", "rest"})
    """Where something runs (counting, a timed hold, a rest): "stop" there is acted on as soon
    as it is heard, never after the reader (it takes about 0.3 s). Elsewhere the companion is
    waiting for an answer, and a weakly heard "stop" is read first like any safety phrase."""
    reading: ReadingSettings = ReadingSettings()
    """How the open-vocabulary reader's opinion is weighed (``second_opinion.reread``)."""


OWN_VOICE_LIVE = frozenset({Command.STOP, Command.HURTS})
"""What can be heard in an utterance begun while the companion speaks. Not the longer
emergency phrases: a decoder listening to long sentences finds "call for help" in them
(measured: "How hard was that? Say a number" heard so, with full confidence). The user says
it again, heard, once the companion is quiet; "stop" first quietens it."""


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
        reader: PhraseJudge | None = None,
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
        self._decoder = engine
        self.vocabulary = vocabulary
        base = settings or ListenerSettings()
        self.settings = ListenerSettings(**{**base.__dict__, "end_silence_s": end_silence_s})
        s = self.settings
        self.segmenter = Segmenter(end_silence_s=end_silence_s, max_utterance_s=s.max_utterance_s)
        self.vad = EnergyVad()
        self._frame_bytes = 2 * max(1, round(engine.sample_rate * s.frame_s))
        self._frame_s = self._frame_bytes / 2 / engine.sample_rate
        self._pending = b""
        self._held: list[Decision] = []
        self._pre_roll: deque[bytes] = deque(maxlen=max(1, round(s.pre_roll_s / self._frame_s)))
        self._position_s = 0.0
        self._active = False
        self._partial = ""
        self._heard_at_pause = ""
        """The classifier's live word at the utterance's last short pause ("" if none)."""
        self.context = ""
        self.commands: frozenset[Command] = frozenset()
        self._table: dict[str, Parsed] = {}
        self._safety: frozenset[str] = frozenset()
        """The live phrases of safety commands."""
        self._checked_at = 0
        """Audio length (bytes) at the last check over the companion's voice."""
        self._own_word: tuple[int, Verdict | None] = (-1, None)
        """(audio length, ``_own_voice_word`` then)."""
        self._rest_of_word_s = 0.0
        """After a decision made while the sound went on: silence still needed before anything
        is heard again (its rest is not a second command)."""
        self._stop_read: Verdict | None = None
        """"Stop" as the reader heard it at a pause of this utterance (``_reader_hears_stop``)."""
        self._own_text = ""
        self._speaking = False
        self._own_until_s = -1.0
        self._utterance_start_s = 0.0
        self._audio = bytearray()
        """The utterance as fed to the engine (for the classifier)."""
        self._judged: tuple[int, Mapping[str, float]] = (-1, {})
        """(audio length, the classifier's probabilities for it)."""
        self._speech_frames = 0
        """Speech frames in the utterance so far."""
        self._read: tuple[int, Mapping[str, float]] = (-1, {})
        """(speech frames, the reader's probabilities for the utterance then)."""
        self._forms: dict[str, list[str]] = {}
        """How a transcript may write each live phrase (for the reader)."""
        self._quick_stop = False
        """In this context "stop" never waits for the reader."""
        self.heard = ""
        """Words of the last finished utterance, accepted or not ("" if nothing)."""
        self.last_confidence = 0.0
        """Confidence of the last finished utterance."""

    @property
    def position_s(self) -> float:
        """Seconds of audio processed so far."""
        return self._position_s

    def set_context(self, context: str, commands: frozenset[Command]) -> None:
        """Listen for ``commands`` from now on (a changed set drops an utterance under way)."""
        if Command.START in commands and Command.STOP in commands:
            raise ValueError("start and stop are never live together")
        if context == self.context and commands == self.commands:
            return
        self.context = context
        self.commands = commands
        self._table = self.vocabulary.phrases_for(commands)
        self._safety = frozenset(p for p, v in self._table.items() if v.command in SAFETY)
        self._quick_stop = context in self.settings.quick_stop_contexts
        self._forms = {p: written_forms(p, v.value) for p, v in self._table.items()}
        if self._active:
            self._decoder.finish()
            self._active = False
            self.segmenter.reset()

    def own_speech(self, text: str | None) -> None:
        """What the companion is saying now (None when it has stopped)."""
        if text is None:
            if self._speaking:
                self._own_until_s = self._position_s + self.settings.own_voice_tail_s
                if self._active:  # judge what began while it spoke; the user's turn starts anew
                    decision = self._finish()
                    if decision is not None:
                        self._held.append(decision)
            self._speaking = False
            return
        self._own_text = normalise(text)
        self._speaking = True

    def process(self, pcm16: bytes) -> list[Decision]:
        """Take more audio; returns the decisions it completed."""
        out: list[Decision] = self._held
        self._held = []
        data = self._pending + pcm16
        n = len(data) - len(data) % self._frame_bytes
        self._pending = data[n:]
        for i in range(0, n, self._frame_bytes):
            decision = self._frame(data[i : i + self._frame_bytes])
            if decision is not None:
                out.append(decision)
        return out

    def flush(self) -> list[Decision]:
        """End of input: decide on the utterance under way, if any."""
        out: list[Decision] = []
        if self._pending:
            frame = self._pending + b"\0" * (self._frame_bytes - len(self._pending))
            self._pending = b""
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
        if not self._table:
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
        if speech:
            self._heard_at_pause = ""
            self._speech_frames += 1
        if self.segmenter.silence_s <= self.settings.feed_tail_s + 1e-9:
            self._keep(frame)
            partial = self._decoder.feed(frame)
            if partial is not None:
                self._partial = normalise(partial.text)
        if (
            edge is Edge.END
            or self._settled()
            or self._paused_after_own_voice()
            or self._classifier_at_pause()
            or self._classifier_over_own_voice()
        ):
            return self._finish()
        return None

    def _begin(self) -> None:
        # Speech began with the run of speech frames that started the utterance; the pre-roll
        # before it is fed to the engine but is not part of what was said.
        self._utterance_start_s = self._position_s - self.segmenter.utterance_s
        phrases = list(self._table)
        self._decoder = self.engine
        if self._own_voice_active():
            self._decoder = self.own_voice_engine
            phrases = [p for p, parsed in self._table.items() if parsed.command in OWN_VOICE_LIVE]
        self._decoder.start(phrases or list(self._table))
        self._active = True
        self._partial = ""
        self._heard_at_pause = ""
        self._audio = bytearray()
        self._judged = (-1, {})
        self._speech_frames = 0
        self._read = (-1, {})
        self._stop_read = None
        self._checked_at = 0
        self._own_word = (-1, None)
        for old in self._pre_roll:
            self._keep(old)
            self._decoder.feed(old)
        self._pre_roll.clear()

    def _keep(self, frame: bytes) -> None:
        wanted = self.classifier is not None or self.reader is not None
        if wanted and len(self._audio) < self._max_audio_bytes():
            self._audio += frame

    def _max_audio_bytes(self) -> int:
        return 2 * round(self.engine.sample_rate * self.settings.max_utterance_s)

    def _settled(self) -> bool:
        """A whole command has been followed by enough silence to act on it now: the
        recogniser's partial result, or the classifier's word at the pause."""
        if self._own_voice_active():  # its bound pass names "stop" or "it hurts" for any sound
            return False
        return any(self._settled_on(words) for words in (self._partial, self._heard_at_pause))

    def _settled_on(self, words: str) -> bool:
        parsed = self._table.get(words)
        if parsed is None:
            return False
        silence = self.segmenter.silence_s
        s = self.settings
        if parsed.command in SAFETY:
            return silence >= s.safety_settle_s - 1e-9
        longer = any(p != words and p.startswith(words + " ") for p in self._table)
        return silence >= (s.prefix_settle_s if longer else s.settle_s) - 1e-9

    def _classifier_at_pause(self) -> bool:
        """At each pause of ``pause_s`` in an utterance, the word classifier is asked
        what was said: the recogniser's partial result may be something else, and a command
        must not wait for the full end silence. "Stop" ends the utterance there; another live
        word settles it as a partial result would (then judged as usual)."""
        if self.classifier is None:
            return False
        settle = self.settings.pause_s
        silence = self.segmenter.silence_s
        if not settle - 1e-9 <= silence < settle + self._frame_s - 1e-9:
            return False
        if self._own_voice_active():  # only "stop" or "it hurts", backed by the reader
            return self._own_voice_word() is not None or self._reader_hears_stop()
        probabilities = self._probabilities()
        top = max(probabilities, key=lambda c: probabilities[c], default="")
        if top in self._table and probabilities[top] >= self.settings.opinion.early_p:
            if top in self._safety:
                return True
            self._heard_at_pause = top
            if self.reader is not None:  # read now, while the settling silence is counted
                self._reading()
        return self._reader_hears_stop()

    def _classifier_over_own_voice(self) -> bool:
        """While the companion speaks, a word said over it may have no pause after it: every
        ``own_voice_check_s`` of the utterance its last second is judged
        (``_own_voice_word``), and a safety word heard ends the utterance there."""
        if self.classifier is None or not self._audio or not self._own_voice_active():
            return False
        step = 2 * round(self.engine.sample_rate * self.settings.own_voice_check_s)
        if len(self._audio) - self._checked_at < step:
            return False
        self._checked_at = len(self._audio)
        return self._own_voice_word() is not None

    def _own_voice_word(self) -> Verdict | None:
        """ "Stop" or "it hurts" in the last second of an utterance over the companion's voice:
        the word classifier names it first (``early_p``), and the reader, asked about that
        command only, gives it ``own_voice_read_p`` (without the reader, the classifier must
        give ``own_voice_alone_p``). Its voice alone made the classifier say "stop" at up to
        0.96 ("Palm up"), the reader never above 0.01 (measured live)."""
        if self.classifier is None:
            return None
        key = len(self._audio)
        if self._own_word[0] == key:
            return self._own_word[1]
        found: Verdict | None = None
        probabilities = self._probabilities()
        top = max(probabilities, key=lambda c: probabilities[c], default="")
        p_top = probabilities.get(top, 0.0)
        s = self.settings
        if top in self._own_voice_candidates() and p_top >= s.opinion.early_p:
            if self.reader is None:
                found = Verdict(top, p_top) if p_top >= s.own_voice_alone_p else None
            else:
                meaning = self._table[top].command
                asked = {p: f for p, f in self._forms.items() if self._table[p].command is meaning}
                reading = self.reader.phrase_probabilities(self._heard_audio(), asked)
                sure = sum(reading.values())
                log.debug("over its voice, %r: classifier %.2f, reader %.2f", top, p_top, sure)
                bar = s.own_voice_read_p if meaning is Command.STOP else s.reading.safety_rescue_p
                found = Verdict(top, p_top) if sure >= bar else None
        self._own_word = (key, found)
        return found

    def _reader_hears_stop(self) -> bool:
        """While something runs (``quick_stop_contexts``), the reader is asked at the pause
        too: "stop" it is sure of ends the utterance there, whatever the others made of it
        (a "stop" they missed must not wait for the end silence; stopping is the safe side)."""
        if not self._quick_stop or self.reader is None or not self._audio:
            return False
        if self._heard_at_pause:  # read for that word already (and reused at the end)
            reading = self._reading()
        else:  # only "stop" is asked about (a third of the time), and the reading is not
            # kept: with its end silence the utterance may read otherwise (measured)
            asked = {p: f for p, f in self._forms.items() if self._table[p].command is Command.STOP}
            if self._own_voice_active():  # not while it says anything like "stop"
                candidates = self._own_voice_candidates()
                asked = {p: f for p, f in asked.items() if p in candidates}
                if not asked:
                    return False
            reading = self.reader.phrase_probabilities(self._heard_audio(), asked)
        stops = [p for p in reading if p in self._table and self._table[p].command is Command.STOP]
        sure = sum(reading[p] for p in stops)
        if not stops or sure < self.settings.reading.safety_rescue_p:
            return False
        self._stop_read = Verdict(max(stops, key=lambda p: reading[p]), sure)
        return True

    def _probabilities(self) -> Mapping[str, float]:
        """The classifier's view of the utterance so far (asked once per length of audio:
        deciding right after the early "stop" check needs no second pass)."""
        assert self.classifier is not None
        audio = self._heard_audio()
        key = len(self._audio) * (-1 if len(audio) < len(self._audio) else 1)
        if self._judged[0] != key:
            self._judged = (key, self.classifier.probabilities(audio))
        return self._judged[1]

    def _heard_audio(self) -> bytes:
        """The utterance as the classifier and the reader hear it: over the companion's voice,
        only its last ``own_voice_window_s`` (the user's word, not the line said before it)."""
        if not self._own_voice_active():
            return bytes(self._audio)
        keep = 2 * round(self.engine.sample_rate * self.settings.own_voice_window_s)
        return bytes(self._audio[-keep:])

    def _reading(self) -> Mapping[str, float]:
        """The reader's view of the utterance (read again only after more speech: what a
        pause read is still the utterance when it ends in silence)."""
        assert self.reader is not None
        if self._read[0] != self._speech_frames:
            self._read = (
                self._speech_frames,
                self.reader.phrase_probabilities(bytes(self._audio), self._forms),
            )
        return self._read[1]

    def _paused_after_own_voice(self) -> bool:
        """An utterance begun in the companion's voice or its tail ends at its first pause
        once the tail is over, so that what the user says next is heard on its own. Only
        "stop" or "it hurts" is taken from it (``OWN_VOICE_LIVE``), settled after that same
        pause; one still being said when the tail ends is heard to its end."""
        if self._speaking or not self._utterance_start_s < self._own_until_s <= self._position_s:
            return False
        return self.segmenter.silence_s >= self.settings.pause_s - 1e-9

    def _finish(self) -> Decision | None:
        hyp = self._decoder.finish()
        mid_sound = self.segmenter.silence_s < self.settings.pause_s - 1e-9
        self._active = False
        self._partial = ""
        self._heard_at_pause = ""
        self.segmenter.reset()
        decision = self._judge(hyp)
        if decision is not None and mid_sound:  # the rest of the word is not heard again
            self._rest_of_word_s = self.settings.pause_s
        return decision

    def _judge(self, hyp: Hypothesis) -> Decision | None:
        text = normalise(hyp.text)
        self.heard = text
        self.last_confidence = hyp.confidence
        parsed = self._table.get(text)
        floor = self.settings.min_confidence
        if parsed is not None and parsed.command in SAFETY:
            floor = self.settings.safety_min_confidence
        elif self.context in self.settings.confirm_contexts:
            floor = self.settings.confirm_min_confidence
        if self._own_voice_active():
            return self._judge_own_voice(text, hyp)
        heard_ok = parsed is not None and hyp.confidence >= floor
        confidence, doubt = hyp.confidence, False
        verdict: Verdict | None = None
        if self.classifier is not None:
            verdict = judge(
                self._probabilities(),
                text,
                heard_ok,
                hyp.confidence,
                live=self._table,
                safety=self._safety,
                confirm=self.context in self.settings.confirm_contexts,
                settings=self.settings.opinion,
            )
            log.debug(
                "recogniser %r (%.2f), classifier: %r (%.2f)",
                text,
                hyp.confidence,
                verdict.phrase,
                verdict.confidence,
            )
        elif self.reader is not None:
            verdict = Verdict(text if heard_ok else None, hyp.confidence)
        if self._stop_read is not None:  # the reader heard "stop" at the pause
            verdict = self._stop_read
        elif verdict is not None:
            verdict = self._reread(verdict, text, hyp)
        if verdict is not None:
            if verdict.phrase is not None:
                text, confidence, doubt = verdict.phrase, verdict.confidence, verdict.unsure
                self.heard, self.last_confidence = text, confidence
                parsed, heard_ok = self._table[text], True
            else:
                heard_ok = False
        if parsed is None or not heard_ok:
            log.debug("rejected %r (confidence %.2f)", text, hyp.confidence)
            return None
        safety = parsed.command in SAFETY
        unsure = not safety and (doubt or confidence < self.settings.unsure_below)
        return self._decision(text, confidence, unsure)

    def _decision(self, phrase: str, confidence: float, unsure: bool = False) -> Decision:
        parsed = self._table[phrase]
        return Decision(
            command=parsed.command,
            value=parsed.value,
            text=phrase,
            confidence=confidence,
            decided_at_s=round(self._position_s, 3),
            unsure=unsure,
        )

    def _judge_own_voice(self, text: str, hyp: Hypothesis) -> Decision | None:
        """An utterance begun while the companion spoke (or in its tail): only "stop" or "it
        hurts" (``OWN_VOICE_LIVE``), and only one that nothing the companion is saying sounds
        like ("Stop before it hurts", "Any pain?"). The recogniser there knows only those
        phrases, so it names one for any sound; it counts when its open pass agrees (as
        always; only "stop" while the reader runs: "it hurts" then needs the reader's usual
        bar), when the reader heard "stop" at a pause, when the classifier and the reader
        agree on it (``_own_voice_word``), or when the reader alone is sure of it."""
        candidates = self._own_voice_candidates()
        phrase, confidence, by = None, 0.0, ""
        if (
            text in candidates
            and hyp.confidence >= self.settings.min_confidence
            # not "it hurts" while the reader runs: its own counting was heard so at 1.0
            and (self.reader is None or self._table[text].command is Command.STOP)
        ):
            phrase, confidence, by = text, hyp.confidence, "recogniser"
        elif self._stop_read is not None and self._stop_read.phrase in candidates:
            phrase, confidence, by = self._stop_read.phrase, self._stop_read.confidence, "reader"
        elif candidates and (heard := self._own_voice_word()) is not None and heard.phrase:
            phrase, confidence, by = heard.phrase, heard.confidence, "classifier and reader"
        elif candidates and self.reader is not None and self._audio:
            # asked about what the recogniser named (a third of the time of every phrase)
            named = self._table[text].command if text in candidates else None
            asked = {p: self._forms[p] for p in candidates if self._table[p].command is named}
            asked = asked or {p: self._forms[p] for p in candidates}
            reading = self.reader.phrase_probabilities(self._heard_audio(), asked)
            best = max(reading, key=lambda p: reading[p], default="")
            meaning = self._table[best].command if best in self._table else None
            sure = sum(v for p, v in reading.items() if self._table[p].command is meaning)
            # alone, as anywhere (at 0.1 its intro lines once read 0.16 as "hurts")
            if best in candidates and sure >= self.settings.reading.safety_rescue_p:
                phrase, confidence, by = best, sure, "reader"
            log.debug("over its voice, the reader: %r (%.2f)", best, sure)
        if phrase is None:
            log.debug("ignored %r (%.2f): the companion is speaking %r", text, hyp.confidence,
                      self._own_text)  # fmt: skip
            return None
        log.debug("heard %r over the companion's %r (%s)", phrase, self._own_text, by)
        self.heard, self.last_confidence = phrase, confidence
        return self._decision(phrase, confidence)

    def _reread(self, verdict: Verdict, text: str, hyp: Hypothesis) -> Verdict:
        """The reader's opinion on ``verdict`` (unchanged without a reader or audio). A safety
        phrase that everything heard, or "stop" while something runs, is acted on at once,
        without it."""
        if self.reader is None or not self._audio:
            return verdict
        phrase = verdict.phrase
        if phrase is not None and phrase in self._safety:
            quick = self._quick_stop and self._table[phrase].command is Command.STOP
            heard_by_all = (
                hyp.confidence >= self.settings.opinion.strong_confidence
                and self._classifier_backs(phrase)
            )
            if quick or heard_by_all:
                return verdict
        numbers = None
        if Command.NUMBER in self.commands:
            numbers = {p: v for p, v in self._table.items() if v.command is Command.NUMBER}
        return reread(
            verdict,
            self._reading(),
            live=self._table,
            safety=self._safety,
            numbers=numbers,
            probabilities=self._probabilities() if self.classifier is not None else None,
            settings=self.settings.reading,
        )

    def _classifier_backs(self, phrase: str) -> bool:
        """The word classifier, when it knows ``phrase``, names it first (surely enough)."""
        if self.classifier is None:
            return True
        probabilities = self._probabilities()
        if phrase not in probabilities:
            return True
        top = max(probabilities, key=lambda c: probabilities[c])
        return top == phrase and probabilities[phrase] >= self.settings.reading.backs_p

    def _own_voice_candidates(self) -> frozenset[str]:
        """The live phrases that may be heard over the companion's voice now: "stop" and "it
        hurts" (``OWN_VOICE_LIVE``) unless what it is saying has a word like theirs."""
        return frozenset(
            p
            for p, parsed in self._table.items()
            if parsed.command in OWN_VOICE_LIVE and not sounds_like(p, self._own_text)
        )

    def _own_voice_active(self) -> bool:
        """The companion spoke during the utterance or less than the tail before it began."""
        return self._speaking or self._utterance_start_s < self._own_until_s


FUNCTION_WORDS = frozenset({"a", "an", "and", "i", "it", "my", "that", "the"})
"""Words of a phrase that say nothing about whether it was heard ("it" of "it hurts")."""


def sounds_like(heard: str, spoken: str, threshold: float = 0.75) -> bool:
    """Whether a word of ``heard`` (other than ``FUNCTION_WORDS``) is, or spells much like, a
    word of ``spoken``: "stop" in "and stop", "stopped" or "step"; "hurts" in "hurt". Not
    "set", "rest" or "two": whole words compared, so counting and resting do not hide a
    "stop"."""
    said = set(spoken.split())
    for word in heard.split():
        if word in FUNCTION_WORDS:
            continue
        for other in said:
            if word == other or (len(word) >= 3 and other.startswith(word)):
                return True
            if SequenceMatcher(None, word, other).ratio() >= threshold:
                return True
    return False
