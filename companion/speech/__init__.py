"""Speech out: the speaker (text to speech) and on-screen captions."""

from companion.speech.base import Speaker
from companion.speech.captions import CaptionedSpeaker, CaptionSink, SilentSpeaker
from companion.speech.factory import make_speaker

__all__ = ["CaptionSink", "CaptionedSpeaker", "SilentSpeaker", "Speaker", "make_speaker"]
