"""User story 1 / SC-001: a vetted expert PPO policy, promoted only past its thresholds.

Per seed: convergence within the budget and the final evaluation (>= 200 episodes on its own
episode range). Then the promotion gate over every seed. Every threshold shown is the one the
cited artefact was built with. An expert of a scenario mix is gated per family: convergence needs
every family at the thresholds, and the final evaluation is one criterion per (seed, family), each
on that family's own >= 200 episodes.
"""

import pytest

from harness.criteria import Bound
from harness.stages.expert.records import ExpertMetrics, ExpertRunMetrics

pytestmark = pytest.mark.stage(1)


@pytest.mark.criteria("SC-001a")
def test_expert_seed_converges(pipeline, expert_seed, criteria):
    run = pipeline.get("expert_run", expert_seed)
    cfg = run.manifest["config"]
    m = ExpertRunMetrics.from_json(run.metrics)
    conv, last = m.converged_at, m.last_periodic_eval
    families = last.families or {}
    where = " on every family" if families else ""
    if conv is not None:
        measured = f"at {conv:,} steps"
    elif families:
        measured = f"not within {cfg['budget']:,} (last: " + ", ".join(
            f"{k} {f.success_rate:.2f}/{f.collision_rate:.2f}" for k, f in families.items()) + ")"
    else:
        measured = (f"not within {cfg['budget']:,} (last: success {last.success_rate:.2f}, "
                    f"collision {last.collision_rate:.2f})")
    criteria.holds(
        "SC-001a", f"expert seed {expert_seed} converges{where}", conv is not None,
        measured=measured,
        threshold=f"success >= {cfg['convergence']['success']}, collision <= "
                  f"{cfg['convergence']['collision']}{where} in "
                  f"{cfg['convergence']['consecutive']} consecutive evaluations within "
                  f"{cfg['budget']:,} steps",
        artifact=run.id)


@pytest.mark.criteria("SC-001n", "SC-001b", "SC-001c")
def test_expert_seed_final_evaluation(pipeline, expert_seed, expert_family, criteria):
    run = pipeline.get("expert_run", expert_seed)
    gate = pipeline.get("expert").manifest["config"]["promotion"]
    m = ExpertRunMetrics.from_json(run.metrics)
    per_family = gate.get("per_family", False)
    if per_family:
        assert m.final_by_family and expert_family in m.final_by_family, \
            f"{run.id}: no final evaluation of family {expert_family}"
    final = m.final_by_family[expert_family] if per_family else m.final_eval
    who = f"expert seed {expert_seed}" + (f" on {expert_family}" if per_family else "")
    n = final.episodes
    criteria.at_least("SC-001n", f"{who}: final evaluation episodes", n,
                      gate["final_episodes"], fmt=",d", artifact=run.id)
    criteria.at_least("SC-001b", f"{who}: final success ({n} episodes)",
                      final.success_rate, gate["success"], interval=final.success_ci,
                      artifact=run.id)
    criteria.at_most("SC-001c", f"{who}: final collisions ({n} episodes)",
                     final.collision_rate, gate["collision"], interval=final.collision_ci,
                     artifact=run.id)


def test_expert_hyperparameters_in_effect(pipeline, expert_seed):
    """Every configured PPO value is the one the trained SB3 model used (DESIGN.md 6)."""
    run = pipeline.get("expert_run", expert_seed)
    got = run.manifest["hyperparameters_in_effect"]
    for key, want in run.manifest["config"]["ppo"].items():
        if key != "log_std_init":
            assert got[key] == want, key


@pytest.mark.criteria("SC-001")
def test_expert_promoted(pipeline, criteria):
    expert = pipeline.get("expert")
    gate = expert.manifest["config"]["promotion"]
    decision = ExpertMetrics.from_json(expert.metrics).decision
    passed = sum(c.passed for c in decision.seeds)
    per_family = gate.get("per_family", False)
    bounds = [Bound("seeds passing", passed, "==", len(decision.seeds), "d"),
              Bound("seeds", len(decision.seeds), ">=", gate["min_seeds"], "d")]
    measured = f"{expert.status}: {passed}/{len(decision.seeds)} seeds pass"
    if per_family:
        families = expert.manifest["config"]["families"]
        cells = sum(c.passed for c in decision.families)
        bounds.append(Bound("(seed, family) cells passing", cells, "==",
                            len(families) * len(decision.seeds), "d"))
        measured += f", {cells}/{len(families) * len(decision.seeds)} (seed, family) cells"
    criteria.all_of(
        "SC-001", "expert promoted (every seed converged and passes the final evaluation gate"
        + (f" on each of its {len(expert.manifest['config']['families'])} families)"
           if per_family else ")"),
        bounds, measured=measured, artifact=expert.id, detail="; ".join(decision.diagnostics))
