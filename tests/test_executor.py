"""The executor's transport and scheduling, without a cluster: builders pickled for a node find
their input artefacts in the node's store, a result that differs from what the node reported is
refused, a local build records where it ran, and a concurrent executor is asked for every
independent build of the study at once."""

import pickle
import threading

import pytest

from harness.core.executor import (
    _NODE,
    ArtifactRef,
    _materialise,
    _NodeContext,
    check_received,
    pack_builder,
    pack_folder,
    unpack_folder,
)
from harness.core.progress import ProgressReporter
from harness.core.store import UNUSED_DIRS, Build, IntegrityError, Store, under_way
from harness.pipeline import study_pipeline
from harness.spec.loader import load_study
from harness.stages.pretraining.stage import arm_matrix
from harness.stages.regimes.stage import regime_matrix
from harness.stages.sizes.stage import size_matrix

REMOTE_NODES = ("expert_run", "dataset", "arm_run", "arm_target", "sized_run", "shift_run",
                "demo_dataset", "regime_run", "regime_target", "sized_target")


def _publish(store: Store, name: str, data: bytes):
    def build(b: Build) -> None:
        (b.dir / "data.bin").write_bytes(data)
        (b.dir / "tb").mkdir()
        (b.dir / "tb" / "log").write_text("not shipped")

    return store.get_or_build("dataset", {"name": name}, [0], build)


def test_a_shipped_builder_reads_its_inputs_from_the_node_store(tmp_path):
    driver, node = Store(tmp_path / "driver"), Store(tmp_path / "node")
    source = _publish(driver, "a", b"payload")
    rows = []
    progress = ProgressReporter(None, None).for_run("run a")

    def builder(b: Build) -> None:  # captures an artefact, the store and a progress callback
        (b.dir / "copy.bin").write_bytes(source.file("data.bin").read_bytes())
        b.extra = {"input_path": str(source.path), "store": str(driver.root)}
        progress({"timesteps": 1})

    payload, shipment = pack_builder(builder)
    assert list(shipment.artifacts) == [source.id] and len(shipment.progress) == 1
    ref = ArtifactRef(source.id, source.kind, source.manifest_hash)
    arrived = _materialise(node, ref, pack_folder(source.path, skip=UNUSED_DIRS))
    assert arrived.path == node.folder("dataset", source.id)
    assert not (arrived.path / "tb").exists()  # logs and checkpoints stay on the driver

    class Relay:
        class put:
            @staticmethod
            def remote(item):
                rows.append(item)

    token = _NODE.set(_NodeContext(node, {source.id: arrived}, Relay, "node-1"))
    try:
        remote = pickle.loads(payload)
    finally:
        _NODE.reset(token)
    out = tmp_path / "out"
    out.mkdir()
    b = Build(dir=out, artifact_id="dataset-x")
    remote(b)
    assert (out / "copy.bin").read_bytes() == b"payload"
    assert b.extra == {"input_path": str(arrived.path), "store": str(node.root)}
    assert rows == [("progress", next(iter(shipment.progress)), "node-1", {"timesteps": 1})]


def test_an_input_that_differs_from_its_manifest_is_refused_on_the_node(tmp_path):
    driver, node = Store(tmp_path / "driver"), Store(tmp_path / "node")
    source = _publish(driver, "b", b"payload")
    blob_dir = tmp_path / "tampered"
    unpack_folder(pack_folder(source.path), blob_dir)
    (blob_dir / "data.bin").write_bytes(b"PAYLOAD")
    ref = ArtifactRef(source.id, source.kind, source.manifest_hash)
    with pytest.raises(IntegrityError, match="data.bin"):
        _materialise(node, ref, pack_folder(blob_dir))


def test_a_result_that_differs_from_what_the_node_reported_is_refused(tmp_path):
    folder = tmp_path / "result"
    folder.mkdir()
    (folder / "model.zip").write_bytes(b"abc")
    from harness.core.executor import file_hashes

    expected = file_hashes(folder)
    check_received("arm_run-1", folder, expected)
    (folder / "model.zip").write_bytes(b"abd")
    with pytest.raises(IntegrityError, match="model.zip"):
        check_received("arm_run-1", folder, expected)
    (folder / "model.zip").write_bytes(b"abc")
    (folder / "extra.txt").write_text("not reported")
    with pytest.raises(IntegrityError, match="extra.txt"):
        check_received("arm_run-1", folder, expected)


def test_a_local_build_records_where_it_ran(tmp_path):
    art = _publish(Store(tmp_path / "s"), "c", b"x")
    assert art.manifest["built_on"]["executor"] == "local"
    assert art.manifest["built_on"]["node"]


class _GateExecutor:
    """A concurrent executor that builds nothing: it reports each build under way (as a real
    one does once it has submitted it), the first ``n`` builds must all be waiting at once (a
    barrier), then every build fails, so the study stops right there."""

    concurrent = True

    def __init__(self, n: int):
        self.barrier = threading.Barrier(n, timeout=60)
        self.kinds: list[str] = []
        self.lock = threading.Lock()

    def execute(self, kind, builder, build, inputs=()):
        with self.lock:
            self.kinds.append(kind)
            first = len(self.kinds) <= self.barrier.parties
        under_way(build.artifact_id)
        if first:
            self.barrier.wait()  # BrokenBarrierError unless all of them are in flight together
        raise RuntimeError("not built: the test stops the study here")


def test_build_ahead_submits_the_expert_seeds_first_then_every_baseline_run_at_once(tmp_path):
    """The expert seeds are the critical path: each is handed to the executor before any
    baseline run is (a cluster serves its queue in order), and all of them are in flight
    together, without one result being waited for."""
    study = load_study("smoke")
    baselines = [(a, s) for a, s in arm_matrix(study) if a == "baseline"]
    experts = len(study.expert.seeds)
    n = experts + len(baselines)
    gate = _GateExecutor(n)
    study_pipeline(study, Store(tmp_path / "s", executor=gate)).ahead().join(timeout=120)
    assert not gate.barrier.broken
    assert gate.kinds[:experts] == ["expert_run"] * experts
    assert gate.kinds[experts:n] == ["arm_run"] * len(baselines)
    assert "dataset" not in gate.kinds  # nothing downstream of an expert that never came


def test_with_a_concurrent_executor_a_test_waiting_for_a_build_does_not_start_another(tmp_path):
    """With Ray, the pipeline's ahead() submits every build in its turn: a test thread that
    finds its artefact being built waits for it instead of submitting an unrelated baseline run
    ahead of the expert seeds (the scheduler's independent work is for xdist workers only)."""
    study = load_study("smoke")
    assert study_pipeline(study, Store(tmp_path / "a", executor=_GateExecutor(1))
                          ).scheduler._independent == []
    assert study_pipeline(study, Store(tmp_path / "b")).scheduler._independent


def test_a_build_error_reaches_the_driver_with_its_message_even_if_it_cannot_be_pickled():
    from harness.core.executor import ExecutorError, _portable
    from harness.stages.dataset.validate import DatasetInvalid, ValidationReport

    plain = ValueError("bad value")
    assert _portable(plain) is plain
    report = ValidationReport(path="data")
    report.add("min_episodes", "too few episodes", expected=200, found=3)
    invalid = DatasetInvalid(report, None)
    with pytest.raises(AttributeError):  # its __init__ takes a report, its args hold text
        pickle.loads(pickle.dumps(invalid))
    sent = pickle.loads(pickle.dumps(_portable(invalid)))
    assert isinstance(sent, ExecutorError)
    assert str(sent).startswith("DatasetInvalid: ") and "too few episodes" in str(sent)


def test_build_ahead_asks_for_every_dataset_and_every_shift_evaluation(tmp_path, monkeypatch):
    """Every remote build the study needs is asked for ahead: the three datasets by their own
    names (a wrong name once kept the shift experiment's two out) and each shift evaluation,
    which a cluster runs as a task instead of the driver running them one after another."""
    study = load_study("smoke")
    pipeline = study_pipeline(study, Store(tmp_path / "s"))
    asked, lock = [], threading.Lock()

    def record(node, key=None):
        with lock:
            asked.append((node, key))
        raise RuntimeError("not built: the test only records what was asked for")

    monkeypatch.setattr(pipeline, "get", record)
    pipeline.ahead().join(timeout=120)
    assert sorted(k for n, k in asked if n == "dataset") == ["matched", "shifted", "study"]
    sh = study.shift
    assert sorted(k for n, k in asked if n == "shift_run") == sorted(
        (a, s) for s in sh.seeds for a in ("baseline", sh.shifted.name, sh.matched.name))
    assert sorted(k for n, k in asked if n == "arm_run") == sorted(arm_matrix(study))
    assert sorted(k for n, k in asked if n == "sized_run") == sorted(size_matrix(study))
    assert sorted(k for n, k in asked if n == "regime_run") == sorted(regime_matrix(study))
    assert sorted(k for n, k in asked if n == "demo_dataset") == ["eps80"]
    experts = len(study.expert.seeds)  # the first wave, alone
    assert [n for n, _ in asked[:experts]] == ["expert_run"] * experts
    assert {n for n, _ in asked} == set(REMOTE_NODES)
