"""Promotion gate of the expert (DESIGN.md section 4) and its actionable diagnostics.

Pure functions over per-seed results; the expert stage persists what they return.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from harness.metrics import Decision, EvalSummary, SeedCheck
from harness.spec.study import Thresholds

PLATEAU_GAIN = 0.02
"""Success gained over the last third of the curve below which it counts as a plateau."""


def plateau(curve: list[dict]) -> tuple[bool, float, int]:
    """(plateaued, success gained over the last third, steps spanned) of a learning curve."""
    if len(curve) < 4:
        return False, float("nan"), 0
    tail = curve[-max(3, len(curve) // 3):]
    x = np.array([r["timesteps"] for r in tail], dtype=float)
    y = np.array([r["success_rate"] for r in tail], dtype=float)
    slope = np.polyfit(x, y, 1)[0] if np.ptp(x) > 0 else 0.0
    span = int(x[-1] - x[0])
    gain = float(slope * span)
    return gain < PLATEAU_GAIN, gain, span


def check_seed(seed: int, final: EvalSummary, gate: Thresholds) -> SeedCheck:
    failures = []
    if final.success_rate < gate.success:
        failures.append(f"success {final.success_rate:.3f} < {gate.success:.2f} "
                        f"(short by {gate.success - final.success_rate:.3f})")
    if final.collision_rate > gate.collision:
        failures.append(f"collision {final.collision_rate:.3f} > {gate.collision:.2f} "
                        f"(over by {final.collision_rate - gate.collision:.3f})")
    return SeedCheck(seed=seed, episodes=final.episodes, success_rate=final.success_rate,
                     success_ci=tuple(final.success_ci), collision_rate=final.collision_rate,
                     collision_ci=tuple(final.collision_ci), timeout_rate=final.timeout_rate,
                     passed=not failures, failures=tuple(failures))


def diagnose(check: SeedCheck, curve: list[dict], budget: int, gate: Thresholds) -> list[str]:
    """What failed for one seed, by how much, whether it plateaued, and what to try."""
    if check.passed:
        return []
    out = [f"seed {check.seed}: " + "; ".join(check.failures)]
    flat, gain, span = plateau(curve)
    last = curve[-1]["timesteps"] if curve else 0
    if flat:
        out.append(f"seed {check.seed}: learning curve plateaued (success {gain:+.3f} over the "
                   f"last {span:,} steps): try a lower learning_rate, a larger net_arch, more "
                   f"n_envs, or an ent_coef > 0 to keep exploring")
    elif curve:
        out.append(f"seed {check.seed}: still improving ({gain:+.3f} success over the last "
                   f"{span:,} steps) when the budget of {budget:,} steps ran out at {last:,}: "
                   f"raise expert.budget (e.g. to {2 * budget:,})")
    if check.collision_rate > gate.collision:
        out.append(f"seed {check.seed}: collisions {check.collision_rate:.1%}: make "
                   f"reward.collision more negative in the scenario, or lower robot.max_speed")
    if check.timeout_rate > 1.0 - gate.success:
        out.append(f"seed {check.seed}: time-outs {check.timeout_rate:.1%}: raise episode_steps "
                   f"or reward.progress in the scenario")
    return out


def decide(finals: dict[int, EvalSummary], curves: dict[int, list[dict]],
           converged_at: dict[int, int | None], gate: Thresholds, min_seeds: int, budget: int,
           consecutive: int) -> Decision:
    """Approve only when at least ``min_seeds`` seeds ran and every one converged within the
    budget (K consecutive periodic evaluations at the thresholds) and passes the final gate."""
    checks = []
    for s in sorted(finals):
        c = check_seed(s, finals[s], gate)
        if converged_at.get(s) is None:
            c = replace(c, passed=False, failures=c.failures + (
                f"did not converge: never {consecutive} consecutive periodic evaluations at "
                f"success >= {gate.success:.2f} and collision <= {gate.collision:.2f} within "
                f"{budget:,} steps",))
        checks.append(c)
    diagnostics: list[str] = []
    if len(checks) < min_seeds:
        diagnostics.append(f"only {len(checks)} seeds evaluated; promotion needs at least "
                           f"{min_seeds}: add seeds to expert.seeds")
    for c in checks:
        diagnostics += diagnose(c, curves.get(c.seed, []), budget, gate)
    approved = not diagnostics and all(c.passed for c in checks)
    best = max(checks, key=lambda c: (c.success_rate, -c.collision_rate, -c.seed), default=None)
    return Decision(status="approved" if approved else "rejected", seeds=tuple(checks),
                    diagnostics=tuple(diagnostics),
                    chosen_seed=best.seed if (approved and best) else None)
