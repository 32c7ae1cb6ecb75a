"""Recognisers behind small Protocols (``base``): PocketSphinx and Vosk decode a closed list of
phrases (``Engine``); the Moonshine reader scores how likely each phrase is (``Reader``)."""
