"""Fault behaviour: a spec error or an unusable store stops the run with one line before
anything runs (same exit status with and without xdist) and no report; a store that refuses a
write mid-run gives no report and says why; leftovers of killed runs are swept."""

import errno
import multiprocessing as mp
import os
import subprocess
import sys

import pytest
from filelock import FileLock

from harness.core.paths import ROOT
from harness.core.store import Store, StoreNotWritable
from harness.spec.loader import study_file


def _pytest(*args, cwd=ROOT):
    proc = subprocess.run([sys.executable, "-m", "pytest", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300,
                          env={**os.environ, "HARNESS_TORCH_THREADS": "1"})
    return proc.returncode, proc.stdout + proc.stderr


@pytest.fixture
def broken_spec(tmp_path):
    path = tmp_path / "study.yaml"
    path.write_text(study_file().read_text().replace("  budget: 150000", "  budget: -1", 1))
    return path


def test_a_spec_error_is_one_line_with_the_same_exit_status_with_and_without_xdist(
        broken_spec, tmp_path):
    codes = []
    for dist in (["-p", "no:xdist"], ["-n", "2"]):
        code, out = _pytest("experiments/test_dataset.py", "--profile", "smoke",
                            "--study-spec", str(broken_spec), "--artifacts-dir",
                            str(tmp_path / "store"), "--reports-dir", str(tmp_path / "rep"),
                            *dist)
        codes.append(code)
        errors = [ln for ln in out.splitlines() if ln.startswith("ERROR: harness:")]
        assert len(errors) == 1, out
        assert "profiles.smoke.pretraining.budget" in errors[0]
        assert "no report was written" in errors[0]
        assert "Traceback" not in out and "pluggy" not in out
    assert codes == [pytest.ExitCode.USAGE_ERROR] * 2
    assert not (tmp_path / "rep").exists()


def test_an_unusable_store_stops_the_study_before_it_starts(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    code, out = _pytest("experiments/test_dataset.py", "--profile", "smoke", "-p", "no:xdist",
                        "--artifacts-dir", str(blocker / "store"),
                        "--reports-dir", str(tmp_path / "rep"))
    assert code == pytest.ExitCode.USAGE_ERROR
    line = next(ln for ln in out.splitlines() if ln.startswith("ERROR: harness:"))
    assert "cannot be created" in line and "no report was written" in line
    assert not (tmp_path / "rep").exists()


FAULTY_TEST = '''
import errno, os

def test_record(criteria, pytestconfig):
    criteria.artifact("thing-0")
    root = pytestconfig.getoption("--artifacts-dir")
    raise OSError(errno.ENOSPC, "No space left on device", os.path.join(root, ".staging", "x"))
'''


def test_a_store_that_refuses_a_write_mid_run_gives_no_report_and_says_why(tmp_path):
    (tmp_path / "test_faulty.py").write_text(FAULTY_TEST)
    code, out = _pytest("test_faulty.py", "-n", "2", "--artifacts-dir", str(tmp_path / "store"),
                        "--reports-dir", str(tmp_path / "rep"), "-p", "no:cacheprovider",
                        cwd=tmp_path)
    assert code == 1
    assert "harness: no report was written: the artefact store" in out
    assert "No space left on device (ENOSPC)" in out
    assert not (tmp_path / "rep").exists()


def test_a_full_or_read_only_store_is_named_as_such(tmp_path, monkeypatch):
    store = Store(tmp_path)
    real_open = open

    def full(path, *args, **kwargs):
        if ".probe." in str(path):
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", full)
    with pytest.raises(StoreNotWritable, match=r"not writable: No space left on device \(ENOSPC"):
        store.check_writable()
    monkeypatch.undo()
    store.check_writable()
    assert not list((tmp_path / ".staging").iterdir())  # the probe leaves nothing


def _dead_pid() -> int:
    proc = mp.get_context("spawn").Process(target=int)
    proc.start()
    proc.join()
    return proc.pid


def test_leftovers_of_killed_runs_are_swept_and_live_ones_kept(tmp_path):
    store = Store(tmp_path)
    dead = _dead_pid()
    progress = tmp_path / ".progress"
    progress.mkdir()
    (progress / f"{dead}.jsonl").write_text("{}\n")
    (progress / f"{os.getpid()}.jsonl").write_text("{}\n")
    (tmp_path / ".staging" / f"thing-1.{dead}.abcd").mkdir()
    (tmp_path / ".staging" / f"thing-2.{os.getpid()}.abcd").mkdir()
    (tmp_path / ".locks" / "thing-1.lock").write_bytes(b"")
    held = FileLock(str(tmp_path / ".locks" / "thing-2.lock"))
    with held:
        removed = store.sweep_leftovers()
    assert removed == {"progress": 1, "staging": 1, "locks": 1}
    assert sorted(p.name for p in progress.iterdir()) == [f"{os.getpid()}.jsonl"]
    assert [p.name for p in (tmp_path / ".staging").iterdir()] == [
        f"thing-2.{os.getpid()}.abcd"]
    assert [p.name for p in (tmp_path / ".locks").iterdir()] == ["thing-2.lock"]


def test_a_published_artefact_leaves_no_lock_behind(tmp_path):
    store = Store(tmp_path)
    store.get_or_build("thing", {"a": 1}, [0], lambda b: (b.dir / "x").write_text("x"))
    assert not list((tmp_path / ".locks").iterdir())
