"""Scheduling: the one place that decides what a process builds next.

A process (an xdist worker, or a lone pytest) asks for artefacts; several processes share the
store under its file locks. :class:`Scheduler` builds what it is asked for without idling: it
skips an artefact another process is building (the store's non-blocking mode raises
:class:`~harness.core.store.Busy`), comes back to it later, and, when everything left is being built
elsewhere, does registered independent work (builds that depend on nothing upstream, e.g. the
comparison's baseline runs) before it waits. It knows nothing of what it builds.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Hashable, Sequence
from typing import Protocol, TypeVar

from harness.core.store import Artifact, Busy

K = TypeVar("K", bound=Hashable)


class Store(Protocol):
    def nonblocking(self): ...


class Scheduler:
    """Builds or reuses artefacts for one process, never waiting while it has work it can do."""

    def __init__(self, store: Store):
        self.store = store
        self._independent: list[Callable[[], Artifact]] = []

    def add_independent(self, tasks: Sequence[Callable[[], Artifact]]) -> None:
        """Builds that depend on nothing upstream: done while this process would otherwise
        wait for an artefact another process is building."""
        self._independent.extend(tasks)

    def build_many(self, keys: Sequence[K], make: Callable[[K], Artifact]) -> list[Artifact]:
        """``make(key)`` for every key (built or reused), in the order of ``keys``.

        Keys another process is building are skipped and retried; when only such keys are
        left, one independent build is done first if any is left; then the first of them is
        waited for."""
        done: dict = {}
        pending = list(keys)
        while pending:
            progressed = False
            for key in list(pending):
                try:
                    with self.store.nonblocking():
                        done[key] = make(key)
                except Busy:
                    continue
                pending.remove(key)
                progressed = True
            if pending and not progressed and not self.work_independently():
                key = pending.pop(0)
                done[key] = make(key)  # everything left is being built elsewhere: wait for it
        return [done[k] for k in keys]

    def build(self, key: K, make: Callable[[K], Artifact]) -> Artifact:
        return self.build_many([key], make)[0]

    def work_independently(self) -> bool:
        """Build one registered independent artefact that no process has built yet; True when
        this call built one (reusing a published one does not count)."""
        for task in list(self._independent):
            try:
                with self.store.nonblocking():
                    artifact = task()
            except Busy:
                continue  # another process is on it
            with contextlib.suppress(ValueError):  # another thread of this process took it
                self._independent.remove(task)
            if artifact.built:
                return True
        return False
