"""The ``shift`` artefact: what demonstrations from other families cost (DESIGN.md section 4,
"Distribution shift"; issue 12 part 2).

The shifted-data arm (the recipe on demonstrations recorded on ``shift.dataset_scenarios``) is
compared with the matched-data arm (the same recipe on as many demonstrations recorded on the
fine-tuning scenario itself) and with the baseline, on the same run seeds, per evaluated family:

- every run's final policy, and each pre-trained arm's BC policy (before any online step: where
  the shift shows), on the same ``shift_eval`` episodes, per family, outcomes kept per episode so
  that differences are paired by (run seed, episode seed);
- every checkpoint of the periodic-evaluation grid on every family, each grid step on its own
  episode set: a learning curve per family, hence T (time to target, the comparison's target)
  and the curve area per family;
- the two datasets' contents against the fine-tuning scenario's declared ranges, gaps in words.

Each run's evaluations are their own ``shift_run`` artefact (per-episode outcomes in
``outcomes.json``), so that xdist workers build them in parallel and a re-run reuses them; the
``shift`` artefact holds the statistics over them.

A regression is the shifted-data arm's final policy worse than the matched-data arm's or the
baseline's on a family by more than the margin, with a 95% interval of the difference below
zero (:func:`harness.stats.shift_verdict`). Only final policies are asserted: a BC policy of
shifted demonstrations is expected to be worse before fine-tuning (that is the size of the
shift, reported with its interval); the claim under test is that pre-training on them does not
leave the fine-tuned agent worse off.
"""

from __future__ import annotations

import json

import numpy as np
from stable_baselines3 import PPO

from harness import power, stats
from harness.core.store import Artifact, Build, Store
from harness.envs import environment
from harness.evaluate import run_episodes
from harness.metrics import DatasetCoverage
from harness.names import ArmName, DatasetName
from harness.nav.outcomes import OUTCOME_COLLISION, OUTCOME_SUCCESS
from harness.nav.scenario import Scenario
from harness.spec.common import SEED_PLAN_VERSION
from harness.stages.dataset.schema import DATA_DIR, METADATA_FILE
from harness.stages.pretraining.build import load_bc_policy, load_checkpoint, load_final_policy
from harness.stages.pretraining.config import PretrainSpec
from harness.stages.shift.config import ShiftSpec
from harness.stages.shift.records import (
    Regression,
    ShiftCell,
    ShiftDifference,
    ShiftMetrics,
    ShiftRunMetrics,
)
from harness.stats import wilson_interval

FINE_TUNED, BC = "fine-tuned", "bc"
OUTCOMES = "outcomes.json"
REFERENCES = (ArmName.MATCHED, ArmName.BASELINE)
ONE_SEED = "one seed: no interval"


def shift_run(spec: ShiftSpec, pre: PretrainSpec, run: Artifact, store: Store) -> Artifact:
    """The ``shift_run`` artefact of one arm run: its per-episode outcomes on every evaluated
    family (:func:`evaluate_run`), in ``outcomes.json``."""
    grid = pre.eval.grid(spec.budget)

    def build(b: Build) -> None:
        played = evaluate_run(run, spec, grid)
        (b.dir / OUTCOMES).write_text(json.dumps(dump_outcomes(played)))
        b.metrics = ShiftRunMetrics(
            arm=run.manifest["config"]["arm"], seed=run.manifest["seeds"][0],
            final_success={f: float(r["final"]["success"].mean()) for f, r in played.items()},
            bc_success={f: float(r["bc"]["success"].mean()) for f, r in played.items()}
            if run.manifest["config"].get("pretrained") else None).to_json()

    config = {"stage": "shift_run", "episodes": spec.episodes,
              "eval_scenarios": [s.name for s in spec.eval_scenarios], "grid": grid,
              "episode_seeds": spec.span(len(grid)).as_dict(), "seed_plan": SEED_PLAN_VERSION}
    return store.get_or_build("shift_run", config, run.manifest["seeds"], build, inputs=[run])


def dump_outcomes(played: dict[str, dict]) -> dict:
    """:func:`evaluate_run`'s record as JSON: 0/1 lists for the per-episode outcomes."""
    return {f: {k: (v if k == "curve" else None if v is None else
                    {o: arr.astype(int).tolist() for o, arr in v.items()})
                for k, v in rec.items()} for f, rec in played.items()}


def parse_outcomes(raw: dict) -> dict[str, dict]:
    """The inverse of :func:`dump_outcomes`."""
    return {f: {k: (v if k == "curve" else None if v is None else
                    {o: np.asarray(arr, float) for o, arr in v.items()})
                for k, v in rec.items()} for f, rec in raw.items()}


def load_outcomes(evaluation: Artifact) -> dict[str, dict]:
    """A ``shift_run``'s outcomes as :func:`evaluate_run` returned them (file hash checked)."""
    return parse_outcomes(json.loads(evaluation.file(OUTCOMES).read_text()))


def shift_matrix(spec: ShiftSpec, pre: PretrainSpec, evaluations: dict[str, list[Artifact]],
                 datasets: dict[str, Artifact], store: Store) -> Artifact:
    """The ``shift`` artefact over the ``shift_run`` evaluations of "baseline", "matched" and
    "shifted" (one per ``spec.seeds`` each, in that order) and the ``datasets`` ("shifted",
    "matched")."""
    seeds = list(spec.seeds)
    for name, evals in evaluations.items():
        if [e.manifest["seeds"][0] for e in evals] != seeds:
            raise ValueError(f"shift arm '{name}' is not matched to the seeds {seeds}")
    grid = pre.eval.grid(spec.budget)
    run_ids = {arm: [e.manifest["inputs"][0]["id"] for e in evals]
               for arm, evals in evaluations.items()}

    def build(b: Build) -> None:
        played = {arm: [load_outcomes(e) for e in evals] for arm, evals in evaluations.items()}
        target = pre.target_level()
        cells = {arm: {sc.name: _cell(spec, pre, [p[sc.name] for p in per_run])
                       for sc in spec.eval_scenarios} for arm, per_run in played.items()}
        diffs = [d for sc in spec.eval_scenarios
                 for d in differences(spec, pre, played, sc.name)]
        flagged = regressions(diffs)
        b.metrics = ShiftMetrics(
            cells=cells, differences=diffs, regressions=flagged, margin=spec.margin,
            seeds=seeds, episodes=spec.episodes, budget=spec.budget,
            target={"success": target.thresholds.success,
                    "collision": target.thresholds.collision,
                    "consecutive": target.consecutive, "deviation": target.deviation},
            fine_tuning_scenario=pre.scenario.name,
            declared=environment(pre.scenario).declared_ranges(spec.final_set().seeds()),
            coverage={w: dataset_coverage(ds, pre.scenario, spec.final_set().seeds())
                      for w, ds in datasets.items()},
            run_ids=run_ids, power=_power(spec)).to_json()
        b.status = "regression" if flagged else "no_regression"
        b.extra = {"scenario": pre.scenario.name}

    config = {**spec.config(len(grid)), "fine_tuning_scenario": pre.scenario.name,
              "target": pre.target_level().as_dict(), "every": pre.eval.every}
    inputs = [datasets[DatasetName.SHIFTED], datasets[DatasetName.MATCHED],
              *(e for evals in evaluations.values() for e in evals)]
    return store.get_or_build("shift", config, seeds, build, inputs=inputs)


def _power(spec: ShiftSpec) -> dict | None:
    """The declared power analysis with the power of this design, simulated (400 studies)."""
    if spec.power is None:
        return None
    pw = spec.power
    achieved = power.shift_power(pw.drop, spec.margin, len(spec.seeds), spec.episodes, pw.base,
                                 pw.seed_sd, sims=400)
    return {**pw.as_dict(), "achieved": achieved, "simulations": 400,
            "seeds": len(spec.seeds), "episodes": spec.episodes, "margin": spec.margin}


# ----------------------------------------------------------------------------- evaluation
def evaluate_run(run: Artifact, spec: ShiftSpec, grid: list[int]) -> dict[str, dict]:
    """One run on every evaluated family: per-episode success and collision of its final
    policy and (pre-trained runs) its BC policy on the final episode set, and its learning curve
    from its checkpoints, grid step ``i`` on ``spec.curve_set(i)``."""
    final = load_final_policy(run).policy
    bc = load_bc_policy(run).policy if run.manifest["config"].get("pretrained") else None
    out = {sc.name: {"final": _outcomes(final, sc, spec.final_set().seeds()),
                     "bc": _outcomes(bc, sc, spec.final_set().seeds()) if bc else None,
                     "curve": []} for sc in spec.eval_scenarios}
    for i, step in enumerate(grid):
        policy = load_checkpoint(run, step).policy
        episodes = spec.curve_set(i)
        for sc in spec.eval_scenarios:
            o = _outcomes(policy, sc, episodes.seeds())
            out[sc.name]["curve"].append({
                "timesteps": step, "episode_seeds": [episodes.start, episodes.stop],
                "success_rate": float(o["success"].mean()),
                "collision_rate": float(o["collision"].mean())})
    return out


def _outcomes(policy: PPO, scenario: Scenario, seeds: list[int]) -> dict[str, np.ndarray]:
    table = run_episodes(policy, scenario, seeds, deterministic=True)
    return {"success": (table.outcome == OUTCOME_SUCCESS).astype(float),
            "collision": (table.outcome == OUTCOME_COLLISION).astype(float)}


# ----------------------------------------------------------------------------- statistics
def _stack(per_run: list[dict], stage: str, key: str) -> np.ndarray:
    """(seeds, episodes) outcomes of one arm on one family."""
    return np.stack([p[stage][key] for p in per_run])


def _rate(x: np.ndarray) -> tuple[float, list[float]]:
    n = int(x.size)
    return float(x.mean()), list(wilson_interval(int(x.sum()), n))


def _times(pre: PretrainSpec, per_run: list[dict], budget: int) -> tuple[np.ndarray, np.ndarray]:
    t = pre.target_level()
    return stats.censored_times([stats.time_to_target(
        p["curve"], t.thresholds.success, t.thresholds.collision, t.consecutive)
        for p in per_run], budget)


def _cell(spec: ShiftSpec, pre: PretrainSpec, per_run: list[dict]) -> ShiftCell:
    success, collision = _stack(per_run, "final", "success"), \
        _stack(per_run, "final", "collision")
    t, cens = _times(pre, per_run, spec.budget)
    auc = [stats.success_auc(p["curve"], spec.budget) for p in per_run]
    (s, s_ci), (c, c_ci) = _rate(success), _rate(collision)
    extra = {}
    if per_run[0]["bc"] is not None:
        bc_s, bc_c = _stack(per_run, "bc", "success"), _stack(per_run, "bc", "collision")
        (bs, bs_ci), (bcl, bcl_ci) = _rate(bc_s), _rate(bc_c)
        extra = {"bc_success": bs, "bc_success_ci": bs_ci, "bc_collision": bcl,
                 "bc_collision_ci": bcl_ci, "bc_per_seed": bc_s.mean(axis=1).tolist()}
    return ShiftCell(final_success=s, final_success_ci=s_ci, final_collision=c,
                     final_collision_ci=c_ci, final_per_seed=success.mean(axis=1).tolist(),
                     time_to_target=t.tolist(), censored=cens.tolist(),
                     iqm_time=list(stats.iqm_ci(t, spec.bootstrap)), auc=auc,
                     auc_mean_ci=list(stats.mean_ci(auc, spec.bootstrap)), **extra)


def differences(spec: ShiftSpec, pre: PretrainSpec, played: dict[str, list[dict]],
                family: str) -> list[ShiftDifference]:
    """The shifted-data arm against the matched-data arm and the baseline on ``family``: final
    policies (success, T, curve area), and the two BC policies.

    ``played[arm][i][family]`` is run ``i``'s record on the family (:func:`evaluate_run`):
    ``final`` and ``bc`` per-episode ``success`` / ``collision`` arrays on the same episode
    seeds for every arm, and ``curve``, the family's learning curve."""
    shifted = [p[family] for p in played[ArmName.SHIFTED]]
    t_s, _ = _times(pre, shifted, spec.budget)
    auc_s = [stats.success_auc(p["curve"], spec.budget) for p in shifted]
    out = []
    for ref in REFERENCES:
        other = [p[family] for p in played[ref]]
        a, b = _stack(shifted, "final", "success"), _stack(other, "final", "success")
        diff, lo, hi = stats.paired_rate_ci(a, b, spec.bootstrap)
        t_r, _ = _times(pre, other, spec.budget)
        t, t_lo, t_hi = stats.paired_difference_ci(t_s, t_r, spec.bootstrap, iqm_of=True)
        auc_r = [stats.success_auc(p["curve"], spec.budget) for p in other]
        area, a_lo, a_hi = stats.paired_difference_ci(auc_s, auc_r, spec.bootstrap)
        single = len(shifted) < 2  # an interval over one seed is a point: no verdict
        out.append(ShiftDifference(
            family=family, stage=FINE_TUNED, reference=ref, success=float(a.mean()),
            reference_success=float(b.mean()), difference=diff, ci=[lo, hi], margin=spec.margin,
            verdict=stats.shift_verdict(diff, lo, hi, spec.margin), t_difference=t,
            t_ci=[t_lo, t_hi],
            t_verdict=ONE_SEED if single else stats.verdict(t_lo, t_hi), auc_difference=area,
            auc_ci=[a_lo, a_hi], auc_verdict=ONE_SEED if single else stats.verdict(
                a_lo, a_hi, lower_is_better=False)))
    matched = [p[family] for p in played[ArmName.MATCHED]]
    a, b = _stack(shifted, "bc", "success"), _stack(matched, "bc", "success")
    diff, lo, hi = stats.paired_rate_ci(a, b, spec.bootstrap)
    out.append(ShiftDifference(
        family=family, stage=BC, reference=ArmName.MATCHED, success=float(a.mean()),
        reference_success=float(b.mean()), difference=diff, ci=[lo, hi], margin=spec.margin,
        verdict=stats.shift_verdict(diff, lo, hi, spec.margin)))
    return out


def regressions(diffs: list[ShiftDifference]) -> list[Regression]:
    """The regressions among ``diffs``, named: fine-tuned policies only (BC is reported)."""
    return [Regression(arm=ArmName.SHIFTED, family=d.family, stage=d.stage, reference=d.reference,
                       success=d.success, reference_success=d.reference_success,
                       drop=-d.difference, ci=d.ci, margin=d.margin)
            for d in diffs if d.stage == FINE_TUNED and d.verdict == stats.REGRESSION]


def dataset_coverage(dataset: Artifact, scenario, seeds: list[int]) -> DatasetCoverage:
    """A dataset's contents from its own metadata, and its gaps against ``scenario`` (in the
    environment's own terms: the simulator's layout draws, a declared family's descriptors)."""
    meta = json.loads(dataset.file(f"{DATA_DIR}/{METADATA_FILE}").read_text())
    return environment(scenario).coverage(dataset.id, meta, seeds)
