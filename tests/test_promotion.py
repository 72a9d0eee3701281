"""Promotion gate and diagnostics on hand-made results."""

from harness.metrics import EvalSummary
from harness.spec.common import Thresholds
from harness.stages.expert.promotion import decide, plateau
from harness.stats import distribution

GATE = Thresholds(success=0.9, collision=0.05)


def final(success, collision, n=200):
    d = distribution([0.0])
    return EvalSummary(episodes=n, success_rate=success, success_ci=[0, 1],
                       collision_rate=collision, collision_ci=[0, 1],
                       timeout_rate=1 - success - collision, timeout_ci=[0, 1],
                       successes=round(success * n), collisions=round(collision * n),
                       timeouts=n - round(success * n) - round(collision * n),
                       collisions_by_kind={}, return_=d, length=d, min_clearance=d)


def decide3(finals, curves, budget, converged=None):
    converged = converged or {s: 100_000 for s in finals}
    return decide(finals, curves, converged, GATE, 3, budget, 3)


def curve(values, every=100_000):
    return [{"timesteps": i * every, "success_rate": v} for i, v in enumerate(values)]


def test_every_seed_passing_is_approved_and_the_best_seed_chosen():
    finals = {0: final(0.95, 0.02), 1: final(0.97, 0.01), 2: final(0.97, 0.03)}
    d = decide3(finals, {}, 1_000_000)
    assert d.status == "approved" and d.chosen_seed == 1 and not d.diagnostics


def test_one_failing_seed_rejects_with_criterion_and_margin():
    finals = {0: final(0.95, 0.02), 1: final(0.85, 0.08), 2: final(0.97, 0.03)}
    curves = {1: curve([0.1, 0.5, 0.8, 0.84, 0.85, 0.85])}
    d = decide3(finals, curves, 600_000)
    assert d.status == "rejected" and d.chosen_seed is None
    text = " | ".join(d.diagnostics)
    assert "seed 1: success 0.850 < 0.90 (short by 0.050)" in text
    assert "collision 0.080 > 0.05 (over by 0.030)" in text
    assert "plateaued" in text and "reward.collision" in text


def test_too_few_seeds_is_rejected_even_if_all_pass():
    d = decide3({0: final(0.99, 0.0), 1: final(0.99, 0.0)}, {}, 1)
    assert d.status == "rejected" and "needs at least 3" in d.diagnostics[0]


def test_plateau_detection():
    assert plateau(curve([0.1, 0.5, 0.8, 0.8, 0.8, 0.8]))[0]
    flat, gain, _ = plateau(curve([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]))
    assert not flat and gain > 0.1


def test_still_improving_suggests_more_budget():
    finals = {0: final(0.6, 0.0), 1: final(0.95, 0.0), 2: final(0.95, 0.0)}
    d = decide3(finals, {0: curve([0.0, 0.1, 0.2, 0.3, 0.45, 0.6])}, 500_000)
    assert any("raise expert.budget (e.g. to 1,000,000)" in x for x in d.diagnostics)


def test_a_seed_that_never_converged_blocks_promotion_even_if_its_final_evaluation_passes():
    """Audit finding 5: convergence was not part of the gate."""
    finals = {0: final(0.95, 0.02), 1: final(0.96, 0.01), 2: final(0.97, 0.03)}
    d = decide3(finals, {1: curve([0.5, 0.9, 0.8, 0.95, 0.85, 0.92])}, 600_000,
                converged={0: 300_000, 1: None, 2: 200_000})
    assert d.status == "rejected" and d.chosen_seed is None
    failing = [c for c in d.seeds if not c.passed]
    assert [c.seed for c in failing] == [1]
    assert any(x.startswith("seed 1: did not converge: never 3 consecutive") for x in
               d.diagnostics)


FAMILIES = ("open", "doorway", "crowd")


def decide_families(by_family, converged=None, curves=None):
    finals = {s: final(0.95, 0.01) for s in by_family}  # pooled rates never decide a mix gate
    converged = converged or {s: 100_000 for s in by_family}
    return decide(finals, curves or {}, converged, GATE, 3, 1_000_000, 3, by_family, FAMILIES)


def test_a_mix_expert_failing_one_family_is_rejected_naming_family_seed_and_margin():
    good = {"open": final(0.99, 0.0), "doorway": final(0.93, 0.03), "crowd": final(0.95, 0.02)}
    by_family = {0: good, 1: {**good, "doorway": final(0.86, 0.07)}, 2: good}
    d = decide_families(by_family)
    assert d.status == "rejected" and d.chosen_seed is None
    assert [c.seed for c in d.seeds if not c.passed] == [1]
    failing = [c for c in d.families if not c.passed]
    assert [(c.seed, c.family) for c in failing] == [(1, "doorway")]
    text = " | ".join(d.diagnostics)
    assert "seed 1, family doorway: success 0.860 < 0.90 (short by 0.040)" in text
    assert "collision 0.070 > 0.05 (over by 0.020)" in text
    assert "open" not in text and "crowd" not in text
    assert len(d.families) == 9  # every (seed, family) cell is reported


def test_a_mix_expert_passing_every_family_is_approved_and_its_best_worst_family_chosen():
    def seed(worst):
        return {"open": final(0.99, 0.0), "doorway": final(worst, 0.02), "crowd": final(0.96, 0.0)}
    d = decide_families({0: seed(0.92), 1: seed(0.95), 2: seed(0.91)})
    assert d.status == "approved" and not d.diagnostics and d.chosen_seed == 1


def test_a_family_missing_from_the_final_evaluation_rejects():
    good = {"open": final(0.99, 0.0), "doorway": final(0.93, 0.03), "crowd": final(0.95, 0.02)}
    d = decide_families({0: good, 1: good, 2: {k: v for k, v in good.items() if k != "crowd"}})
    assert d.status == "rejected"
    assert "seed 2, family crowd: no final evaluation recorded" in d.diagnostics


def test_a_mix_expert_that_never_converged_names_the_family_that_never_held():
    good = {"open": final(0.99, 0.0), "doorway": final(0.93, 0.03), "crowd": final(0.95, 0.02)}

    def row(i, doorway):
        fam = {"open": (0.97, 0.0), "doorway": (doorway, 0.02), "crowd": (0.95, 0.01)}
        return {"timesteps": i * 100_000, "success_rate": 0.9, "collision_rate": 0.01,
                "families": {k: {"success_rate": s, "collision_rate": c}
                             for k, (s, c) in fam.items()}}
    curve0 = [row(i, v) for i, v in enumerate([0.5, 0.92, 0.85, 0.93, 0.91, 0.8])]
    d = decide_families({0: good, 1: good, 2: good}, converged={0: None, 1: 1, 2: 1},
                        curves={0: curve0})
    assert d.status == "rejected"
    assert any(x.startswith("seed 0: did not converge") and "never held by doorway" in x
               for x in d.diagnostics), d.diagnostics


def _declared_family():
    from harness.envs import Condition, GymFamily, OutcomeRule

    rule = OutcomeRule(success=Condition(info="landed"), collision=Condition(info="crashed"))
    return GymFamily(name="lander", environment="lander", id="LunarLanderContinuous-v3",
                     outcome=rule, max_episode_steps=400)


def test_a_declared_environment_gets_advice_in_its_own_terms_never_the_simulators():
    """Issue 21: a rejected expert of a declared environment was told to lower
    robot.max_speed; its advice names its own outcome rule, episode limit and PPO's knobs."""
    from harness.envs import advice

    finals = {0: final(0.0, 1.0), 1: final(0.04, 0.0), 2: final(0.95, 0.0)}
    curves = {0: curve([0.0, 0.0]), 1: curve([0.0, 0.01, 0.02, 0.03, 0.04])}
    d = decide(finals, curves, {0: None, 1: None, 2: 1}, GATE, 3, 200_000, 3,
               advice=advice(_declared_family()))
    text = " | ".join(d.diagnostics)
    assert d.status == "rejected"
    for nav_only in ("robot.", "reward.collision", "reward.progress", "episode_steps or",
                     "in the scenario"):
        assert nav_only not in text, nav_only
    assert "info['crashed']" in text and "info['landed']" in text
    assert "environment.max_episode_steps = 400" in text and "expert.budget" in text


def test_no_diagnostic_has_nan_or_a_span_of_zero_steps_on_a_two_evaluation_curve():
    finals = {0: final(0.0, 1.0), 1: final(0.5, 0.2), 2: final(0.95, 0.0)}
    curves = {0: curve([0.0, 0.0], every=4096), 1: curve([0.1], every=4096)}
    d = decide(finals, curves, {0: None, 1: None, 2: 1}, GATE, 3, 8192, 3)
    text = " | ".join(d.diagnostics)
    assert "nan" not in text.lower() and "over the last 0 steps" not in text
    assert "only 2 periodic evaluation(s)" in text and "only 1 periodic evaluation(s)" in text
    assert "raise expert.budget (e.g. to 16,384)" in text
