"""Stream times on the monotonic clock: late callbacks do not move them, lost samples do."""

from __future__ import annotations

from companion.audio.stream_clock import SampleClock, StreamClock


def test_a_late_callback_does_not_make_its_block_late() -> None:
    clock = StreamClock()
    offset = 100.0  # monotonic minus PortAudio's clock
    assert clock.monotonic(5.1, 5.0, 5.0 + offset) == 5.1 + offset
    # Python's lock held the next callback back 8 ms: its block is still placed right
    assert clock.monotonic(5.12, 5.02, 5.02 + offset + 0.008) == 5.12 + offset


def test_blocks_follow_each_other_sample_by_sample_despite_jitter() -> None:
    clock = SampleClock(16000)
    told = [0.0, 0.0213, 0.0389, 0.0602, 0.0795]  # 20 ms blocks, told +-2 ms
    starts = [clock.block(t, 320) for t in told]
    assert starts == [0.0, 0.02, 0.04, 0.06, 0.08]
    assert clock.moves == 0


def test_lost_samples_move_the_anchor_once_confirmed() -> None:
    clock = SampleClock(16000, slip_s=0.004, confirm=3)
    for k in range(5):
        clock.block(k * 0.02, 320)
    # 50 ms of samples lost (an overflow): the told times are now 50 ms later
    got = [clock.block(0.1 + 0.05 + k * 0.02, 320) for k in range(4)]
    assert got[:2] == [0.1, 0.12]  # not yet: one late block proves nothing
    assert abs(got[2] - 0.19) < 1e-9 and abs(got[3] - 0.21) < 1e-9
    assert clock.moves == 1
