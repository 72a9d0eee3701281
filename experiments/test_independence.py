"""Runs are independent and purposes never share episodes (DESIGN.md section 4).

Reads the episode-seed ranges every artefact of this study recorded in its manifest and proves:
no two training runs (expert seeds, every arm and seed, both arms of the shift experiment, the
size study's runs) nor datasets (the study's and the shift experiment's two) share an episode seed
(a size-study subset is its parent's first episodes, by design, and records no range of its own),
the regime map's runs and its demonstrators' datasets included,
no two runs share a confirmation episode of their time to target, and no episode seed serves two
purposes (training, expert periodic evaluation, expert final
evaluation and selection, recording, comparison periodic and final evaluation, shift evaluation).
"""

import pytest

from harness.core.graph import Need
from harness.seeds import OWN_BLOCK_PURPOSES, SeedRange, disjoint_pairs
from harness.stages.dataset.stage import dataset_kinds
from harness.stages.pretraining.stage import arm_matrix
from harness.stages.regimes.stage import demonstrator_keys, regime_matrix
from harness.stages.sizes.stage import size_matrix
from harness.stages.target.stage import target_keys

pytestmark = pytest.mark.stage(4)

OWN_BLOCK = set(OWN_BLOCK_PURPOSES)


def _ranges(artifact) -> list[tuple[str, SeedRange]]:
    recorded = artifact.manifest.get("episode_seeds") or \
        artifact.manifest["config"].get("episode_seeds")
    assert recorded, f"{artifact.id} records no episode-seed ranges"
    if "purpose" in recorded:  # a single range
        recorded = {"evaluation": recorded}
    return [(f"{artifact.id} {role}", SeedRange.from_dict(r)) for role, r in recorded.items()]


@pytest.mark.criteria("SC-IND")
def test_runs_and_purposes_use_disjoint_episode_seeds(study_spec, pipeline, criteria):
    cmp = pipeline.get("comparison")
    shift = [pipeline.get("shift")] if study_spec.shift is not None else []
    runs = [*pipeline.many([Need("expert_run", s) for s in study_spec.expert.seeds]),
            *pipeline.many([Need("arm_run", k) for k in arm_matrix(study_spec)]),
            *(pipeline.get("sized_run", k) for k in size_matrix(study_spec)),
            *pipeline.many([Need("arm_target", k) for k in target_keys(study_spec)]),
            *pipeline.many([Need("regime_run", k) for k in regime_matrix(study_spec)])]
    if study_spec.pretraining.confirmation is not None:
        runs += pipeline.many([Need("regime_target", k) for k in regime_matrix(study_spec)])
    artifacts = [*runs, *(pipeline.get("dataset", w) for w in dataset_kinds(study_spec)),
                 *(pipeline.get("demo_dataset", d) for d in demonstrator_keys(study_spec)),
                 *shift]
    ranges = [lr for a in artifacts for lr in _ranges(a)]
    own = [lr for lr in ranges if lr[1].purpose in OWN_BLOCK]
    shared_eval = [lr for lr in ranges if lr[1].purpose not in OWN_BLOCK]
    clashes = disjoint_pairs(own)
    # evaluation sets are shared by the runs of one purpose (matched evaluation), never across
    by_purpose: dict[str, SeedRange] = {}
    for _, r in shared_eval:
        cur = by_purpose.get(r.purpose)
        by_purpose[r.purpose] = r if cur is None else SeedRange(
            r.purpose, min(cur.start, r.start), max(cur.stop, r.stop))
    clashes += disjoint_pairs([*own, *((p, r) for p, r in by_purpose.items())])
    clashes = sorted(set(clashes))
    for a in [*artifacts, cmp, pipeline.get("expert")]:
        criteria.artifact(a.id)
    criteria.at_most(
        "SC-IND", f"independent runs: no two of {len(own)} training/recording ranges share an "
        f"episode seed, and no episode seed serves two of "
        f"{len({r.purpose for _, r in ranges})} purposes",
        len(clashes), 0, fmt="d",
        detail="; ".join(f"{a} ~ {b}" for a, b in clashes[:10]) or
        "purposes: " + ", ".join(sorted({r.purpose for _, r in ranges})))
