"""The user's own voice: their enrolled recordings (``voice_profile``), teaching them
(``teach``), and how often they used voice rather than keys (``usage``)."""
