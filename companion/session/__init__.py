"""The guided exercise session: a pure state machine and the words it composes."""
