"""The ``expert`` section of the spec: the expert's scenario, seeds, PPO, budget, periodic
evaluation, convergence and promotion gate (DESIGN.md section 4)."""

from __future__ import annotations

from dataclasses import dataclass

from harness.envs import environment
from harness.nav.mix import ScenarioMix, as_mix
from harness.nav.scenario import Scenario
from harness.seeds import (
    SeedRange,
    evaluation_set,
)
from harness.spec.common import (
    SEED_PLAN_VERSION,
    Catalogue,
    EvalSchedule,
    Thresholds,
    parse_run_seeds,
    parse_scenario_or_mix,
    parse_schedule,
    parse_thresholds,
    scenario_dict,
)
from harness.spec.errors import Fields
from harness.spec.ppo import PPOConfig, parse_ppo


@dataclass(frozen=True)
class Convergence:
    thresholds: Thresholds
    consecutive: int
    """K: consecutive periodic evaluations at the thresholds."""
    early_stop: bool
    """Stop training once converged (the budget is the cap either way)."""
    stop_at: Thresholds | None = None
    """Stricter levels the K consecutive evaluations must meet before an early stop (None: the
    convergence thresholds). Stopping at the first K evaluations that merely touch the gate's
    thresholds promotes a policy that sits on them (the winner's curse); this margin, set from
    :func:`harness.stats.early_stop_risk`, bounds how often a stopped run then fails its final
    200-episode gate. Convergence itself (what promotion requires) stays at the thresholds."""

    @property
    def stop_thresholds(self) -> Thresholds:
        return self.stop_at or self.thresholds


@dataclass(frozen=True)
class ExpertSpec:
    scenario: Scenario | ScenarioMix
    """What the expert trains and is gated on: one family, or a mix gated per family."""
    seeds: tuple[int, ...]
    ppo: PPOConfig
    budget: int
    """Maximum online environment steps per seed."""
    eval: EvalSchedule
    convergence: Convergence
    final_episodes: int
    promotion: Thresholds
    min_seeds: int

    @property
    def is_mix(self) -> bool:
        return isinstance(self.scenario, ScenarioMix)

    @property
    def family_names(self) -> tuple[str, ...]:
        """The families the gate holds on (one, for a single scenario)."""
        return as_mix(self.scenario).family_names

    def final_set(self) -> SeedRange:
        """Final evaluation and selection episodes (their own purpose): of a mix, the window
        from which each family's ``final_episodes`` are taken."""
        return evaluation_set("expert_final_eval", 0,
                              as_mix(self.scenario).evaluation_window(self.final_episodes))

    def run_config(self) -> dict:
        """Identity of one seed's ``expert_run``: what determines its training."""
        return {"stage": "expert_run", "scenario": scenario_dict(self.scenario),
                "ppo": self.ppo.as_dict(),
                "budget": self.budget, "eval": self.eval.as_dict(),
                "convergence": {"success": self.convergence.thresholds.success,
                                "collision": self.convergence.thresholds.collision,
                                "consecutive": self.convergence.consecutive,
                                "early_stop": self.convergence.early_stop,
                                **({"stop_at": self.convergence.stop_at.as_dict()}
                                   if self.convergence.stop_at else {})},
                "final_episodes": self.final_episodes, "seed_plan": SEED_PLAN_VERSION}

    def gate_config(self) -> dict:
        """Identity of the ``expert`` promotion decision (the gate the report shows)."""
        return {"stage": "expert", "scenario": self.scenario.name,
                "families": list(self.family_names),
                "promotion": {"success": self.promotion.success,
                              "collision": self.promotion.collision,
                              "min_seeds": self.min_seeds, "final_episodes": self.final_episodes,
                              "per_family": self.is_mix, "requires_convergence": True}}


def parse_expert(f: Fields, catalogue: Catalogue) -> ExpertSpec:
    scenario = parse_scenario_or_mix(f, catalogue)
    seeds = parse_run_seeds(f, "seeds")
    ppo_f = f.sub("ppo")
    ppo = parse_ppo(ppo_f)
    if ppo.lidar_proximity is not None and environment(scenario).lidar_layout() is None:
        raise ppo_f.error("lidar_proximity", "null: proximity features read the built-in "
                          "simulator's lidar, and a declared environment has none the harness "
                          "knows", ppo.lidar_proximity)
    budget = f.integer("budget", lo=1)
    schedule = parse_schedule(f.sub("eval", required=True), "expert_periodic_eval")
    if isinstance(scenario, ScenarioMix):
        schedule = schedule.for_mix(scenario)
    conv = f.sub("convergence", required=True)
    thresholds = parse_thresholds(conv)
    stop_at = None
    if conv.has("stop_at"):
        stop_f = conv.sub("stop_at")
        stop_at = Thresholds(success=stop_f.number("success", thresholds.success, lo=0.0, hi=1.0),
                             collision=stop_f.number("collision", thresholds.collision, lo=0.0,
                                                     hi=1.0))
        stop_f.done()
        if stop_at.weaker_than(thresholds):
            raise conv.error("stop_at", f"levels at least as strict as the convergence "
                             f"thresholds ({thresholds.as_dict()})", stop_at.as_dict())
    convergence = Convergence(thresholds=thresholds,
                              consecutive=conv.integer("consecutive", 2, lo=1),
                              early_stop=conv.boolean("early_stop", True), stop_at=stop_at)
    conv.done()
    final = f.sub("final_eval", required=True)
    final_episodes = final.integer("episodes", lo=200)  # DESIGN.md 4: promotion needs >= 200
    # (of a mix: per family)
    final.done()
    prom = f.sub("promotion", required=True)
    min_seeds = prom.integer("min_seeds", 3, lo=3)  # DESIGN.md 4: at least 3 seeds
    promotion = parse_thresholds(prom)
    prom.done()
    if len(seeds) < min_seeds:
        raise f.error("seeds", f"at least promotion.min_seeds = {min_seeds} seeds", list(seeds))
    spec = ExpertSpec(scenario=scenario, seeds=seeds, ppo=ppo, budget=budget, eval=schedule,
                      convergence=convergence, final_episodes=final_episodes,
                      promotion=promotion, min_seeds=min_seeds)
    f.done()
    return spec
