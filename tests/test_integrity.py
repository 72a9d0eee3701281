"""Integrity on read: a tampered artefact is refused by every reuse, by load_policy and by
`harness verify`, naming the artefact and the file; only a forced fresh run rebuilds it."""

import json
import os
import shutil
import time

import pytest

from harness.api import load_policy
from harness.cli import main
from harness.core import store as store_module
from harness.core.store import MANIFEST, IntegrityError, Store
from harness.stages.dataset.schema import DATA_DIR, DATA_FILE
from tests.store_helpers import build_tiny_study, save_untrained_policy


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    return build_tiny_study(tmp_path_factory.mktemp("tiny") / "store").store.root


@pytest.fixture
def study(pristine, tmp_path):
    root = tmp_path / "store"
    shutil.copytree(pristine, root)
    from tests.store_helpers import BUILDERS, TinyStudy

    store = Store(root)
    s = TinyStudy(store, None, None, None, None)
    for name in ("run", "expert", "dataset", "comparison"):
        setattr(s, name, BUILDERS[name](store, s, None))
    return s


def _verify(root, *args, capsys=None):
    code = main(["--artifacts-dir", str(root), "verify", *args])
    return code, capsys.readouterr().out if capsys else ""


def _flip_byte(path, offset_fraction=0.5):
    data = bytearray(path.read_bytes())
    data[int(len(data) * offset_fraction)] ^= 0xFF
    path.write_bytes(bytes(data))


def _edit_manifest(art, **metrics):
    manifest = json.loads((art.path / MANIFEST).read_text())
    manifest["metrics"].update(metrics)
    (art.path / MANIFEST).write_text(json.dumps(manifest, indent=2))


def test_a_clean_store_verifies_and_every_artefact_is_sealed(study, capsys):
    code, out = _verify(study.store.root, "--all", capsys=capsys)
    assert code == 0, out
    assert "verified 4 artefact(s)" in out and "clean" in out
    for art in study.store.list():
        assert art.manifest[store_module.SEAL] == store_module.manifest_seal(art.manifest)


def test_a_swapped_model_is_refused_by_reuse_load_policy_and_verify(study, tmp_path, capsys):
    save_untrained_policy(tmp_path / "other.zip", seed=7)  # another policy, a valid zip
    shutil.copy(tmp_path / "other.zip", study.expert.path / "model.zip")
    calls = []
    with pytest.raises(IntegrityError, match=f"'{study.expert.id}'.*model.zip"):
        study.rebuild("expert", calls)
    assert calls == []  # not silently rebuilt
    with pytest.raises(IntegrityError, match="model.zip: sha256 differs"):
        load_policy(study.expert.id, study.store.root)
    with pytest.raises(IntegrityError):
        study.store.find(study.expert.id)
    code, out = _verify(study.store.root, study.expert.id, capsys=capsys)
    assert code == 1 and f"DIFFERS  {study.expert.id}: model.zip: sha256 differs" in out


def test_a_flipped_byte_in_a_dataset_is_refused(study, capsys):
    _flip_byte(study.dataset.path / DATA_DIR / DATA_FILE)
    calls = []
    with pytest.raises(IntegrityError, match=f"{DATA_DIR}/{DATA_FILE}"):
        study.rebuild("dataset", calls)
    assert calls == []
    code, out = _verify(study.store.root, "--all", capsys=capsys)
    assert code == 1 and f"{study.dataset.id}: {DATA_DIR}/{DATA_FILE}" in out


def test_edited_metrics_break_the_seal_and_the_downstream_input_hash(study, capsys):
    _edit_manifest(study.comparison, ratio=0.1)
    with pytest.raises(IntegrityError, match="manifest.json: content differs from its"):
        study.store.find(study.comparison.id)
    _edit_manifest(study.expert, decision={"status": "approved", "diagnostics": ["edited"]})
    code, out = _verify(study.store.root, "--all", capsys=capsys)
    assert code == 1
    assert f"{study.comparison.id}: manifest.json: content differs" in out
    assert f"{study.dataset.id}: inputs[{study.expert.id}]: the input's current manifest" in out
    assert f"{study.comparison.id}: inputs[{study.expert.id}]" in out


def test_an_unsealed_legacy_manifest_is_still_checked_through_its_downstream(study):
    """Stores written before manifests were sealed stay usable; an edit still shows where the
    manifest is an input."""
    manifest = json.loads((study.expert.path / MANIFEST).read_text())
    manifest.pop(store_module.SEAL)
    manifest["metrics"]["decision"] = {"status": "approved", "diagnostics": ["legacy edit"]}
    (study.expert.path / MANIFEST).write_text(json.dumps(manifest))
    assert study.store.find(study.expert.id).id == study.expert.id
    with pytest.raises(IntegrityError, match=f"inputs\\[{study.expert.id}\\]"):
        study.store.find(study.dataset.id)


def test_files_a_stage_never_reads_are_left_to_the_full_audit(study, capsys):
    (study.run.path / "checkpoints" / "step_000000000.zip").write_bytes(b"tampered")
    assert study.store.find(study.run.id).id == study.run.id  # reuse stays fast
    code, out = _verify(study.store.root, study.run.id, capsys=capsys)
    assert code == 1 and "checkpoints/step_000000000.zip: sha256 differs" in out


def test_a_missing_file_and_an_unlisted_file_are_differences(study, capsys):
    (study.run.path / "learning_curve.json").unlink()
    (study.comparison.path / "extra.txt").write_text("slipped in")
    code, out = _verify(study.store.root, "--all", capsys=capsys)
    assert code == 1
    assert f"{study.run.id}: learning_curve.json: listed in the manifest but missing" in out
    assert f"{study.comparison.id}: extra.txt: present but not listed" in out


def test_only_a_fresh_run_rebuilds_a_tampered_artefact(study):
    _flip_byte(study.dataset.path / DATA_DIR / DATA_FILE)
    time.sleep(0.01)
    fresh = Store(study.store.root, fresh_before=time.time() + 1)
    study.store = fresh
    calls = []
    rebuilt = study.rebuild("dataset", calls)
    assert calls == ["dataset"] and rebuilt.verify() is rebuilt
    assert len(list((fresh.root / ".superseded").glob(f"{study.dataset.id}.*"))) == 1


def test_a_superseded_input_is_noted_not_failed(study, capsys):
    """After --fresh rebuilt an input, its old dependants are stale, not tampered."""
    fresh = Store(study.store.root, fresh_before=time.time() + 1)
    study.store = fresh
    old_expert = json.loads((study.expert.path / MANIFEST).read_text())
    time.sleep(0.01)
    study.rebuild("expert")  # supersedes the expert the dataset recorded
    assert json.loads((study.expert.path / MANIFEST).read_text()) != old_expert
    code, out = _verify(study.store.root, study.dataset.id, capsys=capsys)
    assert code == 0 and "NOTE" in out and "stale" in out


def test_hashes_are_cached_per_process_by_path_and_mtime(study, monkeypatch):
    path = study.dataset.path / DATA_DIR / DATA_FILE
    old = time.time() - 60
    os.utime(path, (old, old))
    calls = []
    real = store_module.file_sha256
    monkeypatch.setattr(store_module, "file_sha256", lambda p: calls.append(p) or real(p))
    store_module._HASHES.clear()
    for _ in range(3):
        study.store.find(study.dataset.id)
    assert calls.count(path) == 1
    _flip_byte(path)
    os.utime(path, (old + 1, old + 1))
    with pytest.raises(IntegrityError):
        study.store.find(study.dataset.id)


def test_the_report_does_not_cite_a_tampered_artefact_and_says_why(study):
    from harness.report.render import _collect

    save_untrained_policy(study.store.root / "other.zip", seed=3)
    shutil.copy(study.store.root / "other.zip", study.expert.path / "model.zip")
    found, missing = _collect(study.store, [study.comparison.id])
    assert study.expert.id not in found and study.comparison.id in found
    assert missing == [f"{study.expert.id} (integrity check failed: {study.expert.id}: "
                       f"model.zip: sha256 differs from the manifest (expected "
                       f"{study.expert.manifest['files']['model.zip']['sha256'][:16]}, found "
                       f"{store_module.file_sha256(study.expert.path / 'model.zip')[:16]}))"]
