"""Artefact store: atomic publish, crash recovery, reuse, one build across processes."""

import json
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from harness.core.store import MANIFEST, Store, StoreError


def _write(build, text="x"):
    (build.dir / "data.txt").write_text(text)
    build.metrics = {"value": 1.5}


def test_publish_writes_a_complete_manifest(tmp_path):
    store = Store(tmp_path)
    art = store.get_or_build("thing", {"a": 1}, [0], _write)
    m = json.loads((art.path / MANIFEST).read_text())
    for key in ("id", "kind", "status", "created", "config", "config_sha256", "seeds", "git",
                "environment", "inputs", "metrics", "files"):
        assert key in m, key
    assert m["files"]["data.txt"]["sha256"]
    assert m["git"]["commit"]
    assert m["environment"]["torch"] and m["environment"]["stable-baselines3"]
    assert not any((tmp_path / ".staging").iterdir())


def test_identical_identity_reuses_and_a_changed_value_rebuilds(tmp_path):
    store = Store(tmp_path)
    calls = []

    def builder(b):
        calls.append(1)
        _write(b)

    a = store.get_or_build("thing", {"a": 1}, [0], builder)
    b = store.get_or_build("thing", {"a": 1}, [0], builder)
    assert a.id == b.id and a.manifest == b.manifest and len(calls) == 1
    c = store.get_or_build("thing", {"a": 2}, [0], builder)
    assert c.id != a.id and len(calls) == 2
    d = store.get_or_build("thing", {"a": 1}, [1], builder)
    assert d.id != a.id and len(calls) == 3


def test_inputs_are_part_of_the_identity_and_recorded(tmp_path):
    store = Store(tmp_path)
    parent = store.get_or_build("parent", {"p": 1}, [0], _write)
    child = store.get_or_build("child", {"c": 1}, [0], _write, inputs=[parent])
    assert child.manifest["inputs"] == [parent.ref()]
    assert parent.ref()["manifest_sha256"] == parent.manifest_hash


def test_fresh_rebuilds_once_and_keeps_the_old_one(tmp_path):
    Store(tmp_path).get_or_build("thing", {"a": 1}, [0], _write)
    time.sleep(1.1)
    store = Store(tmp_path, fresh_before=time.time())
    calls = []

    def builder(b):
        calls.append(1)
        _write(b)

    store.get_or_build("thing", {"a": 1}, [0], builder)
    store.get_or_build("thing", {"a": 1}, [0], builder)
    assert len(calls) == 1
    assert len(list((tmp_path / ".superseded").iterdir())) == 1


def test_failed_build_leaves_nothing(tmp_path):
    store = Store(tmp_path)

    def broken(b):
        (b.dir / "half.txt").write_text("half")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        store.get_or_build("thing", {"a": 1}, [0], broken)
    assert not (tmp_path / "thing").exists() or not any((tmp_path / "thing").iterdir())
    assert not any((tmp_path / ".staging").iterdir())


def test_missing_artifact_is_a_clear_error(tmp_path):
    with pytest.raises(StoreError, match="no published artefact 'expert-0000'"):
        Store(tmp_path).find("expert-0000")


def _count_build(root: str, out: str) -> None:
    store = Store(root)

    def builder(b):
        with open(out, "a") as fh:
            fh.write(f"{os.getpid()}\n")
        time.sleep(1.0)
        _write(b)

    store.get_or_build("thing", {"shared": True}, [0], builder)


def test_two_processes_asking_for_the_same_artifact_build_it_once(tmp_path):
    out = tmp_path / "builds.txt"
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_count_build, args=(str(tmp_path / "store"), str(out)))
             for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    assert len(out.read_text().splitlines()) == 1


KILL_SCRIPT = textwrap.dedent("""
    import sys
    from dataclasses import replace
    from harness.spec.loader import load_study
    from harness.stages.expert.build import train_expert_seed
    from harness.core.store import Store
    spec = load_study("smoke").expert
    spec = replace(spec, budget=int(sys.argv[2]))
    train_expert_seed(spec, 0, Store(sys.argv[1]))
""")


@pytest.mark.training
def test_sigkill_during_training_leaves_nothing_complete_and_the_next_run_recovers(tmp_path):
    from dataclasses import replace

    from harness.spec.loader import load_study
    from harness.stages.expert.build import train_expert_seed

    root = tmp_path / "store"
    budget = 60_000
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(root), str(budget)])
    try:
        deadline = time.time() + 120
        while time.time() < deadline and proc.poll() is None:
            if list((root / ".staging").glob("*/checkpoints/*.zip")):
                break
            time.sleep(0.05)
        else:
            pytest.fail("training never wrote a checkpoint before it ended")
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert not list(root.glob("expert_run/*/" + MANIFEST))  # nothing looks complete
    assert list((root / ".staging").iterdir())  # the half-written work is only in staging
    # the next run of the same identity takes the lock the dead process held, sweeps its
    # staging folder and publishes a complete artefact
    spec = replace(load_study("smoke").expert, budget=budget)
    art = train_expert_seed(spec, 0, Store(root))
    assert (art.path / MANIFEST).is_file() and (art.path / "model.zip").is_file()
    assert not list((root / ".staging").iterdir())
    assert [a.id for a in Store(root).list("expert_run")] == [art.id]


def test_nonblocking_mode_skips_an_artifact_another_process_is_building(tmp_path):
    from filelock import FileLock


    store = Store(tmp_path)
    artifact_id = store.make_id("thing", {"a": 1}, [0])
    held = FileLock(str(tmp_path / ".locks" / f"{artifact_id}.lock"))
    ctx = mp.get_context("spawn")
    with held:  # a lock held by this process's other handle counts as another builder
        proc = ctx.Process(target=_try_nonblocking, args=(str(tmp_path),))
        proc.start()
        proc.join(30)
        assert proc.exitcode == 0  # the child saw Busy
    art = store.get_or_build("thing", {"a": 1}, [0], _write)
    assert art.id == artifact_id


def _try_nonblocking(root: str) -> None:
    from harness.core.store import Busy

    store = Store(root)
    try:
        with store.nonblocking():
            store.get_or_build("thing", {"a": 1}, [0], _write)
    except Busy:
        return
    raise SystemExit(1)


def test_a_relative_store_root_gives_absolute_artefact_paths(tmp_path, monkeypatch):
    """Paths handed out (e.g. symlinked by minari) must not depend on the working directory."""
    monkeypatch.chdir(tmp_path)
    store = Store("relative-store")
    assert store.root.is_absolute() and store.root == tmp_path / "relative-store"


def test_threads_waiting_for_one_build_sleep_on_a_gate_and_say_it_is_under_way(tmp_path,
                                                                                monkeypatch):
    """Threads of one process asking for an artefact another thread is building wait on an
    in-process gate: only the builder holds (or polls) the file lock, each waiter tells its
    under-way callback before it sleeps, and all of them get the one published artefact. A
    thread in non-blocking mode gets Busy at once."""
    import threading

    import harness.core.store as store_module
    from harness.core.store import Busy, reporting_under_way

    attempts = []

    class CountingLock(store_module.FileLock):
        def acquire(self, *args, **kwargs):
            attempts.append(threading.current_thread().name)
            return super().acquire(*args, **kwargs)

    monkeypatch.setattr(store_module, "FileLock", CountingLock)
    store = Store(tmp_path)
    building, release = threading.Event(), threading.Event()

    def slow(build):
        building.set()
        assert release.wait(30)
        _write(build)

    results, told = {}, []

    def ask(name):
        with reporting_under_way(lambda artifact_id: told.append((name, artifact_id))):
            results[name] = store.get_or_build("thing", {"a": 1}, [0], slow)

    builder = threading.Thread(target=ask, args=("builder",), name="builder")
    builder.start()
    assert building.wait(30)
    waiters = [threading.Thread(target=ask, args=(f"w{i}",), name=f"w{i}") for i in range(8)]
    for t in waiters:
        t.start()
    deadline = time.time() + 30
    while len(told) < 9 and time.time() < deadline:
        time.sleep(0.01)
    time.sleep(0.3)  # six poll intervals of the file lock: a polling waiter would show here
    assert attempts == ["builder"]
    with pytest.raises(Busy, match="another thread"), store.nonblocking():
        store.get_or_build("thing", {"a": 1}, [0], slow)
    release.set()
    for t in [builder, *waiters]:
        t.join(30)
    artifact_id = results["builder"].id
    assert sorted(told) == sorted([("builder", artifact_id)]
                                  + [(f"w{i}", artifact_id) for i in range(8)])
    assert {a.id for a in results.values()} == {artifact_id} and len(results) == 9
    assert results["builder"].built and not any(results[f"w{i}"].built for i in range(8))
