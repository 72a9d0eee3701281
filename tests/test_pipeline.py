"""Scheduling: skip what others build, do independent work instead of waiting."""

import contextlib
from pathlib import Path

from harness.core.scheduling import Scheduler
from harness.core.store import _BLOCKING, Artifact, Busy


class FakeStore:
    """Keys in ``busy`` are being built elsewhere."""

    def __init__(self, busy):
        self.busy = set(busy)

    @contextlib.contextmanager
    def nonblocking(self):
        token = _BLOCKING.set(False)
        try:
            yield
        finally:
            _BLOCKING.reset(token)


def artifact(name: str, built: bool) -> Artifact:
    return Artifact(Path(name), {"id": name}, built=built)


def test_build_many_skips_busy_keys_and_does_independent_work_before_waiting():
    store = FakeStore({"b"})
    order = []

    def make(key):
        if key in store.busy and not _BLOCKING.get():
            raise Busy(key)
        order.append(key)
        return artifact(key, True)

    scheduler = Scheduler(store)
    scheduler.add_independent([lambda: order.append("reused") or artifact("r", False),
                               lambda: order.append("independent") or artifact("i", True)])
    got = scheduler.build_many(["b", "a", "c"], make)
    assert [a.id for a in got] == ["b", "a", "c"]
    # a and c first (b is busy); a reused independent build does not count as work, so the
    # next one is built; then the wait for b
    assert order == ["a", "c", "reused", "independent", "b"]


def test_an_independent_build_another_process_holds_is_left_to_it():
    store = FakeStore(set())
    scheduler = Scheduler(store)

    def held():
        raise Busy("x")

    scheduler.add_independent([held])
    assert scheduler.work_independently() is False
    assert scheduler._independent == [held]
