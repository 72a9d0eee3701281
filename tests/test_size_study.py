"""The dataset-size study (issue 12): nested subsets with provenance, the spec's sizes, BC's
schedule on small datasets, and "demonstrations needed" from per-size rows."""

import json

import h5py
import numpy as np
import pytest
import yaml

from harness.core.store import Store, StoreError
from harness.spec.errors import SpecError
from harness.spec.loader import load_study, study_file
from harness.stages.comparison.records import ArmRow, RecipeVersus
from harness.stages.dataset.schema import DATA_DIR, DATA_FILE, METADATA_FILE
from harness.stages.dataset.subset import subset_dataset
from harness.stages.dataset.validate import validate_dataset
from harness.stages.pretraining.config import BCConfig
from harness.stages.pretraining.recipe import bc_schedule
from harness.stages.sizes.build import _needed
from harness.stages.sizes.records import SizeRow
from tests.dataset_helpers import make_dataset

BASE = yaml.safe_load(study_file().read_text())


@pytest.fixture(scope="module")
def parent(tmp_path_factory):
    """A published 12-episode dataset artefact over the mix."""
    store = Store(tmp_path_factory.mktemp("store"))

    def build(b):
        meta = make_dataset(b.dir, 12, mix="all", seed0=3000)
        b.metrics = {"episodes": 12}
        b.extra = {"dataset": {k: meta[k] for k in ("dataset_id", "total_episodes")},
                   "scenarios": sorted(meta["env_config"])}

    return store, store.get_or_build("dataset", {"stage": "dataset", "t": 1}, [], build)


def test_subsets_are_nested_prefixes_validated_and_name_their_parent(parent):
    store, ds = parent
    small, large = subset_dataset(ds, 4, store), subset_dataset(ds, 9, store)
    with h5py.File(ds.path / DATA_DIR / DATA_FILE, "r") as fp, \
            h5py.File(small.path / DATA_DIR / DATA_FILE, "r") as fs, \
            h5py.File(large.path / DATA_DIR / DATA_FILE, "r") as fl:
        assert len(fs) == 4 and len(fl) == 9
        for i in range(4):  # every small episode is in the larger subset and the parent
            for key in ("observations", "actions", "rewards"):
                assert np.array_equal(fs[f"episode_{i}/{key}"][()], fl[f"episode_{i}/{key}"][()])
                assert np.array_equal(fs[f"episode_{i}/{key}"][()], fp[f"episode_{i}/{key}"][()])
            assert dict(fs[f"episode_{i}"].attrs) == dict(fp[f"episode_{i}"].attrs)
    meta = json.loads((small.path / DATA_DIR / METADATA_FILE).read_text())
    parent_meta = json.loads((ds.path / DATA_DIR / METADATA_FILE).read_text())
    assert meta["total_episodes"] == 4 and meta["seeds"] == parent_meta["seeds"][:4]
    assert meta["subset_of"]["id"] == ds.id
    assert meta["subset_of"]["manifest_sha256"] == ds.manifest_hash
    assert small.manifest["subset_of"] == meta["subset_of"]
    assert sum(meta["coverage"]["episodes_per_scenario"].values()) == 4
    assert meta["dataset_id"].endswith("-first4-v0")
    assert [i["id"] for i in small.manifest["inputs"]] == [ds.id]
    assert validate_dataset(small.path, 4).ok
    assert small.metrics["validation"]["ok"] and "replay" in small.metrics["validation"]["checks"]
    assert subset_dataset(ds, 4, store).id == small.id  # reused, not rebuilt


def test_a_subset_must_be_smaller_than_its_parent(parent):
    store, ds = parent
    for n in (0, 12, 13):
        with pytest.raises(StoreError, match="between 1 and 11 episodes"):
            subset_dataset(ds, n, store)


def _spec(tmp_path, **sizes):
    data = yaml.safe_load(yaml.safe_dump(BASE))
    data["pretraining"]["sizes"] = sizes
    data["profiles"]["full"] = {}
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize("sizes, field, expected", [
    ({"episodes": [10, 5]}, "pretraining.sizes.episodes", "ascending"),
    ({"episodes": [5, 5]}, "pretraining.sizes.episodes", "distinct"),
    ({"episodes": [5, 200]}, "pretraining.sizes.episodes", "below dataset.episodes = 200"),
    ({"episodes": [5], "seeds": [0, 1, 42]}, "pretraining.sizes.seeds", r"run seeds in \[0, 32\)"),
    ({"episodes": [5], "seeds": [0, 1, 17]}, "pretraining.sizes.seeds", "pre-training seeds"),
    ({"episodes": [5], "seeds": [0, 1]}, "pretraining.sizes.reason", "fewer than the 5"),
])
def test_bad_sizes_name_the_field(tmp_path, sizes, field, expected):
    with pytest.raises(SpecError, match=expected) as err:
        load_study("full", _spec(tmp_path, **sizes))
    assert err.value.field == field


def test_fewer_seeds_with_a_reason_are_a_deviation(tmp_path):
    study = load_study("full", _spec(tmp_path, episodes=[5], seeds=[0, 1], reason="a pilot"))
    assert "2 seeds per size" in study.pretraining.sizes.seeds_deviation
    assert "a pilot" in study.pretraining.sizes.seeds_deviation
    assert load_study("full").pretraining.sizes is None  # its own profile (the time budget)
    full = load_study("sizes").pretraining
    assert full.sizes.sizes[0] <= 5 and len(full.sizes.sizes) >= 4
    assert len(full.sizes.seeds) >= 5 and full.sizes.seeds_deviation is None
    assert full.sizes.recipe_gate is None  # SC-012r gates the full study


def test_bc_gets_at_least_min_updates_on_a_small_dataset():
    cfg = BCConfig(epochs=30, batch_size=256, min_updates=1000)
    assert bc_schedule(cfg, 10_000) == (256, 30)  # 39 batches x 30 epochs >= 1000 already
    assert bc_schedule(cfg, 200) == (200, 1000)  # one batch per epoch
    assert bc_schedule(cfg, 600) == (256, 500)  # two full batches per epoch
    assert bc_schedule(BCConfig(epochs=30, batch_size=256), 200) == (200, 30)


def _row(episodes, meets, ratio=0.5):
    arm = ArmRow(seeds=[0], time_to_target=[0.0], censored=[False], iqm_time=0.0,
                 final_success=[1.0], final_collision=[0.0], final_episodes=1, auc=[1.0],
                 run_ids=["x"], final_success_mean_ci=[1, 1, 1], final_collision_mean_ci=[0, 0, 0],
                 auc_mean_ci=[1, 1, 1], ratio=ratio, ratio_ci=[ratio - 0.1, ratio + 0.1])
    vs = RecipeVersus(drop_difference=0, drop_ci=[0, 0], drop_verdict="indistinguishable",
                      t_difference=0, t_ci=[0, 0], t_verdict="indistinguishable",
                      drop_margin=0.05, t_margin=1, passed=True)
    return SizeRow(episodes=episodes, transitions=1, dataset="d", seeds=[0],
                   arms={"pretrained": arm}, iqm_time_ci={}, meets_sc003={"pretrained": meets},
                   recipe_vs={"naive": vs})


def test_demonstrations_needed_is_the_smallest_size_meeting_sc003():
    rows = [_row(5, False), _row(10, True, 0.4), _row(25, False), _row(50, True)]
    need = _needed("pretrained", rows)
    assert need.episodes == 10 and need.ratio == 0.4 and need.holds_above is False
    assert _needed("pretrained", rows[2:]).holds_above is True
    assert _needed("pretrained", [_row(5, False)]).episodes is None
