"""Nested subsets of a recorded dataset, for the dataset-size study (issue 12).

The subset of size ``n`` is the first ``n`` episodes of its parent, copied group by group into a
dataset of its own (same Minari layout, metadata recomputed: totals, seeds, coverage, checksum),
so every smaller subset lies inside every larger one. Its metadata and manifest name the parent
(``subset_of``: artefact id, manifest sha256, dataset id, sizes); it is validated like any recorded
dataset (replay included) before it is published, and quarantined with its report if it fails.
"""

from __future__ import annotations

import json

import h5py

from harness.core.hashing import file_sha256
from harness.core.store import Artifact, Build, Store, StoreError, now_iso
from harness.stages.dataset.build import publish_validated
from harness.stages.dataset.coverage import coverage_of, declared_coverage
from harness.stages.dataset.schema import DATA_DIR, DATA_FILE, METADATA_FILE, generic_layout

SUBSET_VERSION = 1
"""Part of a subset's identity: bump when how a subset is drawn changes."""


def subset_dataset(parent: Artifact, episodes: int, store: Store) -> Artifact:
    """The ``dataset_subset`` artefact of the first ``episodes`` episodes of ``parent``."""
    total = int(parent.manifest["dataset"]["total_episodes"])
    if not 0 < episodes < total:
        raise StoreError(f"{parent.path}: a subset of {episodes} episodes of a dataset of "
                         f"{total} must hold between 1 and {total - 1} episodes")

    def build(b: Build) -> None:
        src = parent.path / DATA_DIR
        meta = json.loads((src / METADATA_FILE).read_text())
        declared = generic_layout(meta)  # a declared environment's dataset
        data = b.dir / DATA_DIR
        data.mkdir(parents=True)
        rows = []
        with h5py.File(src / DATA_FILE, "r") as fin, h5py.File(data / DATA_FILE, "w") as fout:
            for i in range(episodes):
                g = fin[f"episode_{i}"]
                fin.copy(g, fout, name=f"episode_{i}")
                a = g.attrs
                row = {"scenario": str(a["scenario"]), "steps": int(a["total_steps"]),
                       "outcome": str(a["outcome"])}
                if declared:
                    row["descriptors"] = {k: float(a[k]) for k in meta["descriptors"]
                                          if k in a}
                else:
                    row.update(start_goal_distance=float(a["start_goal_distance"]),
                               pedestrians=int(a["pedestrians"]), obstacles=int(a["obstacles"]))
                rows.append(row)
        name = meta["dataset_id"].rsplit("-v", 1)[0]
        subset_of = {"id": parent.id, "manifest_sha256": parent.manifest_hash,
                     "dataset_id": meta["dataset_id"], "episodes": episodes,
                     "parent_episodes": total, "rule": f"the first {episodes} episodes"}
        meta.update({
            "dataset_id": f"{name}-first{episodes}-v0",
            "created": now_iso(),
            "total_episodes": episodes,
            "total_steps": int(sum(r["steps"] for r in rows)),
            "seeds": meta["seeds"][:episodes],
            "coverage": declared_coverage(rows) if declared else coverage_of(rows),
            "data_sha256": file_sha256(data / DATA_FILE),
            "subset_of": subset_of,
        })
        (data / METADATA_FILE).write_text(json.dumps(meta, indent=1))
        b.extra = {"dataset": publish_validated(b, store, episodes, meta),
                   "scenarios": parent.manifest.get("scenarios"), "subset_of": subset_of}

    config = {"stage": "dataset_subset", "episodes": episodes, "version": SUBSET_VERSION}
    return store.get_or_build("dataset_subset", config, [], build, inputs=[parent])
