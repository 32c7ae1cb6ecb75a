"""Sound shared by the speaker and the microphone: what is played, and its echo taken out."""
