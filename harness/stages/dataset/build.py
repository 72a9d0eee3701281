"""Dataset stage: record from an approved expert, validate, publish or quarantine.

Quarantine applies only to a dataset the pipeline has just recorded and not yet published (a
folder in the store's staging area). A published dataset, or any folder elsewhere, is audited
read-only: nothing is moved and nothing is written into it (:func:`audit_dataset`).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from harness.core.store import Artifact, Build, Store, StoreError, git_state, now_iso
from harness.envs import environment
from harness.stages.dataset.config import DatasetSpec
from harness.stages.dataset.demonstrator import DegradedPolicy, measure_quality
from harness.stages.dataset.record import collect, write_dataset
from harness.stages.dataset.records import DatasetMetrics, ValidationSummary
from harness.stages.dataset.validate import DatasetInvalid, ValidationReport, validate_dataset
from harness.stages.expert.build import load_expert_policy, require_approved


def dataset_config(spec: DatasetSpec) -> dict:
    return {"stage": "dataset", **spec.config()}


def record_dataset(spec: DatasetSpec, expert: Artifact, store: Store) -> Artifact:
    """The ``dataset`` artefact recorded from ``expert`` (which must be approved).

    Validation runs before publishing; a dataset that fails is copied to the store's
    quarantine with its report and :class:`DatasetInvalid` is raised: nothing is published.
    """
    require_approved(expert)
    seeds = spec.seeds()

    def build(b: Build) -> None:
        model = load_expert_policy(expert)
        policy = model.policy
        demonstrator = None
        if spec.demonstrator is not None:
            d = spec.demonstrator
            policy = DegradedPolicy(policy, model.action_space, d.epsilon, d.name)
            quality = measure_quality(policy, spec.quality_scenario, d, spec.deterministic,
                                      spec.n_envs)
            demonstrator = {**d.config(), "description": d.describe(),
                            "quality_scenario": spec.quality_scenario.name,
                            "quality_seeds": d.quality_set().as_dict(),
                            "quality": quality.to_json()}
        episodes = collect(policy, spec.sources, seeds, spec.deterministic, spec.n_envs)
        prefix = environment(spec.scenarios[0]).dataset_prefix
        dataset_id = f"harness/{prefix}-{spec.label}-{b.artifact_id.rsplit('-', 1)[-1][:12]}-v0"
        provenance = {"created": now_iso(), "seeds": seeds, "git": git_state(),
                      "expert": {"id": expert.id, "manifest_sha256": expert.manifest_hash,
                                 "chosen_seed": expert.manifest.get("chosen_seed"),
                                 "scenario": expert.manifest.get("scenario")},
                      "deterministic_actions": spec.deterministic,
                      **({"demonstrator": demonstrator,
                          "algorithm_name": f"expert PPO (stable-baselines3) degraded: "
                                            f"{demonstrator['description']}"}
                         if demonstrator else {})}
        checks = [environment(s).replay_check() for s in spec.scenarios]
        if None not in checks:  # None: the simulator replays by construction (DESIGN.md 3)
            provenance["replayable"] = all(checks)
        metadata = write_dataset(b.dir, dataset_id, episodes, list(spec.scenarios), provenance,
                                 mix=spec.mix)
        b.extra = {"dataset": publish_validated(b, store, spec.min_episodes, metadata),
                   "scenario": spec.scenarios[0].name,
            "scenarios": [s.name for s in spec.scenarios],
            **({"mix": spec.mix.name} if spec.mix is not None else {}),
            "episode_seeds": {"recording": spec.seed_range().as_dict(),
                              **({"demonstrator_quality": spec.demonstrator.quality_set()
                                  .as_dict()} if spec.demonstrator is not None else {})}}

    return store.get_or_build("dataset", spec.config(), seeds, build, inputs=[expert])


SUMMARY_KEYS = ("dataset_id", "schema_version", "created", "expert", "observation_contract",
                "action_contract", "deterministic_actions", "total_episodes", "total_steps",
                "data_sha256")
"""The metadata a dataset's manifest repeats (``manifest["dataset"]``)."""


def publish_validated(b: Build, store: Store, min_episodes: int, metadata: dict) -> dict:
    """Validate the dataset just written into ``b.dir`` (quarantined with its report, and
    :class:`DatasetInvalid` raised, when it fails), set the build's metrics, and return the
    metadata summary its manifest records."""
    report, quarantined = validate_and_quarantine(b.dir, store, min_episodes)
    if not report.ok:
        raise DatasetInvalid(report, quarantined)
    b.metrics = DatasetMetrics(
        episodes=report.episodes, steps=report.steps,
        validation=ValidationSummary(ok=True, checks=report.checks_run, failures=0),
        coverage=metadata["coverage"]).to_json()
    return {k: metadata[k] for k in (*SUMMARY_KEYS, "demonstrator") if k in metadata}


def publish_report(folder: Path, report: ValidationReport) -> None:
    (folder / "validation.json").write_text(json.dumps(report.as_dict(), indent=1))
    (folder / "validation.txt").write_text(report.text() + "\n")


def quarantine(store: Store, folder: Path, report: ValidationReport) -> Path:
    """Copy a failed dataset, with its validation report, into ``<store>/quarantine/``."""
    publish_report(folder, report)
    dest = store.quarantine_path(folder.name.split(".")[0])
    shutil.copytree(folder, dest)
    return dest


class NotQuarantinable(StoreError):
    """Quarantine was asked for a folder that is not an unpublished build of this store."""


def validate_and_quarantine(folder: Path, store: Store, min_episodes: int
                            ) -> tuple[ValidationReport, Path | None]:
    """Validate a dataset the pipeline has just recorded (still in ``store``'s staging area)
    and write its report beside the data; on failure copy it into quarantine and return where.

    Anything else (a published artefact, a folder outside the store) is refused: audit those
    with :func:`audit_dataset`, which never moves or writes."""
    if not store.in_staging(folder):
        raise NotQuarantinable(
            f"{folder}: only a dataset recorded by the pipeline and not yet published (a folder "
            f"in {store.root / '.staging'}) may be quarantined; published artefacts and folders "
            f"outside the store are audited read-only")
    report = validate_dataset(folder, min_episodes)
    publish_report(folder, report)
    if report.ok:
        return report, None
    return report, quarantine(store, folder, report)


def audit_dataset(folder: Path, min_episodes: int) -> ValidationReport:
    """Read-only validation of any dataset folder (published or not): nothing is moved or
    written; the caller prints or stores the report elsewhere."""
    return validate_dataset(folder, min_episodes)
