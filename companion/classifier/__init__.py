"""The word classifier: a speech embedding, a small trained classifier over it, its training,
and how its opinion is combined with the recogniser's and the reader's."""
