"""How the listener cuts and judges speech: every threshold it uses, in one frozen type."""

from __future__ import annotations

from dataclasses import dataclass

from companion.classifier.combine_opinions import OpinionSettings, ReadingSettings
from companion.commands import Context


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
    confirm_contexts: frozenset[Context] = frozenset({Context.NUMBER})
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
    own_voice_named_read_p: float = 0.3
    """Over the companion's voice, a safety phrase both recogniser passes named is taken when
    the reader, reading from where the recogniser heard it begin, gives it this ("it hurts",
    which the word classifier has no class for). Its own lines were named "that hurts" by both
    passes and read 0.16-0.2 (before echo cancellation, hands-free test); with it, at most
    0.02 in 10 minutes of its counting (188 readings, benchmark_live --own-voice-only)."""
    own_voice_alone_p: float = 0.99
    """Without the reader (turned off), the classifier's own bar over the companion's voice
    (its voice alone reached 0.96 in 20 minutes of counting: without the reader, "stop" over
    its voice is rarely heard)."""
    echo_cancelled: bool = False
    """The microphone's audio comes with the companion's own voice taken out
    (``companion.audio.echo_cancel``): over its voice, the classifier alone may then be
    believed for "stop" at ``own_voice_cancelled_p``."""
    own_voice_cancelled_p: float = 0.95
    """With the echo cancelled, "stop" the classifier names at least this surely over the
    companion's voice is taken without the reader. Its cancelled voice alone (22-41 dB
    quieter) never made it name "stop" even at 0.4 in 3.6 minutes of counting (uncancelled:
    200 times in 20 minutes, up to 0.96); but at 0.5, with words and noise played over it,
    stops nobody said came at 0.54-0.83, and over the linear canceller's residual (in-process
    playback) at 0.86 and 0.86 while said ones came at 0.92-0.99 (docs/benchmarks.md)."""
    own_voice_window_s: float = 1.0
    """Over the companion's voice, the word classifier and the reader hear only the last this
    much of an utterance (the user's word, not the line said before it; the classifier learnt
    from one-second clips)."""
    opinion: OpinionSettings = OpinionSettings()
    """How the word classifier's second opinion is weighed (``combine_opinions``)."""
    quick_stop_contexts: frozenset[Context] = frozenset({Context.COUNTING, Context.REST})
    """Where something runs (counting, a timed hold, a rest): "stop" there is acted on as soon
    as it is heard, never after the reader (it takes about 0.3 s). Elsewhere the companion is
    waiting for an answer, and a weakly heard "stop" is read first like any safety phrase."""
    reading: ReadingSettings = ReadingSettings()
    """How the open-vocabulary reader's opinion is weighed (``combine_opinions.reread``)."""
