"""The user's own voice: their enrolled recordings (``voice_profile``; one recording checked
and trimmed: ``word_recording``; the classifier retrained with them: ``retraining``), teaching
them (``teach``, hearing each word through ``utterance_capture``), and how often they used
voice rather than keys (``usage``)."""
