"""Scheduling helpers: skip what others build, do independent work instead of waiting."""

import contextlib

from harness.pipeline import build_many
from harness.store import _BLOCKING, Busy


class FakeStore:
    """Keys in ``busy`` are being built elsewhere until ``release`` is called."""

    def __init__(self, busy):
        self.busy = set(busy)

    @contextlib.contextmanager
    def nonblocking(self):
        token = _BLOCKING.set(False)
        try:
            yield
        finally:
            _BLOCKING.reset(token)


def test_build_many_skips_busy_keys_and_does_idle_work_before_waiting():
    store = FakeStore({"b"})
    order = []

    def make(key):
        if key in store.busy and not _BLOCKING.get():
            raise Busy(key)
        order.append(key)
        return key

    idle_calls = []

    def idle():
        idle_calls.append(1)
        if len(idle_calls) == 1:
            order.append("idle-work")
            return True
        return False

    assert build_many(store, ["b", "a", "c"], make, idle) == ["b", "a", "c"]
    # a and c first (b is busy), then independent work, then the wait for b
    assert order == ["a", "c", "idle-work", "b"]
    assert len(idle_calls) == 2
