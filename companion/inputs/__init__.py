"""Ways in: keyboard, single switch, scripted lines (and, in companion.listen, the voice)."""
