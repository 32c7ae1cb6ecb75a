"""The screen: a local web page for the person exercising, the caregiver and the therapist."""

DEFAULT_PORT = 8766
"""The page's port on this computer unless ``--port`` says otherwise."""
