"""companion: an offline, voice-guided hand-exercise companion for stroke recovery."""

__version__ = "0.1.0"
