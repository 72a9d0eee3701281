"""Tamper a finished smoke study's store and show that nothing passes on it (issue 14).

Runs after the smoke study in ``make test``: ``HARNESS_SMOKE_STORE`` names the finished store.
A copy of it gets a swapped expert model, a flipped byte in the dataset and edited comparison
metrics; ``harness verify --all`` must exit 1 naming all three, and the smoke study re-run on the
copy must fail (reuse verifies every artefact it hands out) instead of reporting them as passed.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import main
from harness.core.store import MANIFEST, Store
from harness.stages.dataset.schema import DATA_DIR, DATA_FILE

SMOKE = os.environ.get("HARNESS_SMOKE_STORE")
pytestmark = pytest.mark.skipif(not SMOKE, reason="needs a finished smoke store: "
                                "HARNESS_SMOKE_STORE (make test sets it after the smoke study)")


def _only(store: Store, kind: str):
    found = store.list(kind)
    assert found, f"the smoke store has no {kind}"
    return found[0]


def test_a_tampered_smoke_store_fails_verify_and_the_study(tmp_path, capsys):
    root = tmp_path / "artifacts"
    shutil.copytree(SMOKE, root, ignore=shutil.ignore_patterns(".locks", ".progress"))
    store = Store(root)
    expert = next(a for a in store.list("expert") if a.status == "approved")
    run = next(a for a in store.list("arm_run") if a.manifest["config"]["arm"] == "baseline")
    shutil.copy(run.path / "model.zip", expert.path / "model.zip")  # another policy
    data = expert.path.parent.parent / "dataset"
    hdf5 = next(data.glob(f"*/{DATA_DIR}/{DATA_FILE}"))
    blob = bytearray(hdf5.read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    hdf5.write_bytes(bytes(blob))
    cmp = _only(store, "comparison")
    manifest = json.loads((cmp.path / MANIFEST).read_text())
    manifest["metrics"]["arms"]["pretrained"]["ratio"] = 0.01
    (cmp.path / MANIFEST).write_text(json.dumps(manifest, indent=2))

    assert main(["--artifacts-dir", str(root), "verify", "--all"]) == 1
    out = capsys.readouterr().out
    for name in (expert.id, "model.zip", hdf5.parent.parent.name, cmp.id):
        assert name in out, (name, out)

    study = subprocess.run(
        [sys.executable, "-m", "pytest", str(Path(__file__).parents[2] / "experiments"), "-p",
         "no:xdist", "-q", "--profile", "smoke", "--artifacts-dir", str(root),
         "--reports-dir", str(tmp_path / "reports")],
        capture_output=True, text=True, timeout=900, env={**os.environ, "HARNESS_SMOKE_STORE": ""})
    assert study.returncode != 0, study.stdout[-2000:]
    assert "IntegrityError" in study.stdout or "integrity" in study.stdout.lower()
    assert "failed" in study.stdout.strip().splitlines()[-1], study.stdout[-2000:]
