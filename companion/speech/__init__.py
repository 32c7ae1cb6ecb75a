"""Speech out: the speaker (text to speech) and on-screen captions."""
