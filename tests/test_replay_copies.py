"""The replay sample that `companion voice` retrains the word classifier from holds the room and
own-voice copies the shipped classifier was trained with (issue 21), so a classifier retrained
with the user's recordings is not retrained without noise, babble, reverberation and the
companion's own voice."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from companion.user_voice.retraining import ReplaySet


def test_the_shipped_replay_holds_room_and_own_voice_copies_of_its_own_clips() -> None:
    r = ReplaySet.load()
    assert r.copy is not None
    plain = r.copy == ""
    sources = {
        (str(h), str(s), int(t), int(y))
        for h, s, t, y in zip(
            r.half[plain], r.speaker[plain], r.take[plain], r.labels[plain], strict=True
        )
    }
    for kind in ("room", "own"):
        rows = np.flatnonzero(r.copy == kind)
        real_copies = rows[r.half[rows] != "tts"]
        assert real_copies.size >= 0.9 * (r.real & plain).sum()  # every real clip is copied
        for i in real_copies:  # each copy is of a clip of the sample, with its word
            assert (str(r.half[i]), str(r.speaker[i]), int(r.take[i]), int(r.labels[i])) in sources
        assert not r.real[rows].any()  # a user's recordings are picked from plain ones only
        assert r.real_like[real_copies].all()  # but they weigh as real speech in training
    lines = r.copy == "lines"
    assert lines.any() and (r.labels[lines] == r.classes.index("other")).all()
    assert not r.real_like[lines].any()


def test_an_older_sample_of_plain_clips_only_still_loads(tmp_path: Path) -> None:
    r = ReplaySet.load()
    plain = r.copy == "" if r.copy is not None else np.ones(r.labels.size, dtype=bool)
    old = tmp_path / "replay.npz"
    np.savez_compressed(
        old,
        classes=np.array(r.classes),
        features=r.features[plain][:50].astype(np.float16),
        labels=r.labels[plain][:50].astype(np.int16),
        real=r.real[plain][:50],
        half=r.half[plain][:50],
        speaker=r.speaker[plain][:50],
        take=r.take[plain][:50].astype(np.int16),
    )
    back = ReplaySet.load(old)
    assert back.copy is None
    assert np.array_equal(back.real_like, back.real)
