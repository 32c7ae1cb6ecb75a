"""The screen: a local web page for the person exercising, the caregiver and the therapist."""

DEFAULT_PORT = 8766
"""The page's port on this computer unless ``--port`` says otherwise."""
SOCKET_NAME = "screen.sock"
"""In the data folder while ``companion screen`` runs: sessions run elsewhere show on its page
(``screen/bridge.py``)."""
