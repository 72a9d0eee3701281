"""User story 1 / SC-001: a vetted expert PPO policy, promoted only past its thresholds.

Per seed: convergence within the budget and the final evaluation (>= 200 episodes on fixed
evaluation seeds). Then the promotion gate over every seed.
"""

import pytest


def _rate(value: float, ci) -> tuple[str, str]:
    return f"{value:.3f}", f"[{ci[0]:.3f}, {ci[1]:.3f}]"


def test_expert_seed_converges(expert_pipeline, expert_seed, criteria):
    run = expert_pipeline.run(expert_seed)
    spec = expert_pipeline.spec
    t = spec.convergence.thresholds
    criteria.artifact(run.id)
    conv = run.metrics["converged_at"]
    last = run.metrics["last_periodic_eval"]
    ok = criteria.record(
        "SC-001a", f"expert seed {expert_seed} converges", conv is not None,
        measured=f"{conv:,} steps" if conv is not None else
        f"not within {spec.budget:,} (last: success {last['success_rate']:.2f}, "
        f"collision {last['collision_rate']:.2f})",
        threshold=f"success >= {t.success}, collision <= {t.collision} in "
                  f"{spec.convergence.consecutive} consecutive evals within {spec.budget:,} steps",
        artifact=run.id)
    assert ok, f"seed {expert_seed} did not converge within {spec.budget:,} steps: {last}"


def test_expert_seed_final_evaluation(expert_pipeline, expert_seed, criteria):
    run = expert_pipeline.run(expert_seed)
    spec = expert_pipeline.spec
    gate = spec.promotion
    final = run.metrics["final_eval"]
    criteria.artifact(run.id)
    s, s_ci = _rate(final["success_rate"], final["success_ci"])
    c, c_ci = _rate(final["collision_rate"], final["collision_ci"])
    assert final["episodes"] >= 200
    ok_s = criteria.record("SC-001b", f"expert seed {expert_seed} final success "
                           f"({final['episodes']} episodes)", final["success_rate"] >= gate.success,
                           measured=s, interval=s_ci, threshold=f">= {gate.success}",
                           artifact=run.id)
    ok_c = criteria.record("SC-001c", f"expert seed {expert_seed} final collisions "
                           f"({final['episodes']} episodes)",
                           final["collision_rate"] <= gate.collision, measured=c, interval=c_ci,
                           threshold=f"<= {gate.collision}", artifact=run.id)
    assert ok_s and ok_c, f"seed {expert_seed} final evaluation: {final}"


def test_expert_hyperparameters_in_effect(expert_pipeline, expert_seed):
    """Every configured PPO value is the one the trained SB3 model used (DESIGN.md 6)."""
    run = expert_pipeline.run(expert_seed)
    got = run.manifest["hyperparameters_in_effect"]
    for key, want in expert_pipeline.spec.ppo.as_dict().items():
        if key != "log_std_init":
            assert got[key] == want, key


def test_expert_promoted(expert_pipeline, criteria):
    expert = expert_pipeline.expert()
    criteria.artifact(expert.id)
    decision = expert.metrics["decision"]
    passed = sum(c["passed"] for c in decision["seeds"])
    ok = criteria.record(
        "SC-001", "expert promoted (every seed passes the final evaluation gate)",
        expert.status == "approved", measured=f"{expert.status}: {passed}/"
        f"{len(decision['seeds'])} seeds pass", threshold=f"all of >= "
        f"{expert_pipeline.spec.min_seeds} seeds", artifact=expert.id,
        detail="; ".join(decision["diagnostics"]))
    assert ok, "expert rejected: " + " | ".join(decision["diagnostics"])


@pytest.mark.usefixtures("expert_pipeline")
def test_rejected_expert_cannot_be_used_downstream(store, study, tmp_path):
    """Edge case: nothing is built from an expert that failed the gate."""
    from dataclasses import replace

    from harness.expert import ExpertNotApproved, load_expert_policy, promote, train_expert_seed
    from harness.store import Store

    tiny = replace(study.expert, budget=study.expert.ppo.n_envs * study.expert.ppo.n_steps,
                   seeds=(101, 102, 103))
    scratch = Store(tmp_path / "artifacts")
    runs = [train_expert_seed(tiny, s, scratch) for s in tiny.seeds]
    expert = promote(tiny, runs, scratch)
    assert expert.status == "rejected"
    assert expert.metrics["decision"]["diagnostics"]
    with pytest.raises(ExpertNotApproved, match="rejected"):
        load_expert_policy(expert)
