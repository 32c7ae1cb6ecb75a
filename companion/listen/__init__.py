"""Listening: audio in, endpointing, grammar-limited recognition, rejection, commands out."""
