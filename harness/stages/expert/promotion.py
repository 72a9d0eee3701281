"""Promotion gate of the expert (DESIGN.md section 4) and its actionable diagnostics.

Pure functions over per-seed results; the expert stage persists what they return.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from harness.envs import NAV_ADVICE, Advice
from harness.metrics import EvalSummary
from harness.spec.common import Thresholds
from harness.stages.expert.records import Decision, SeedCheck
from harness.stats import first_sustained

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


def check_seed(seed: int, final: EvalSummary, gate: Thresholds,
               family: str | None = None) -> SeedCheck:
    """One seed's final evaluation (of one family, when given) against the gate; every failure
    names the criterion and its margin."""
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
                     passed=not failures, failures=tuple(failures), family=family)


def diagnose(check: SeedCheck, curve: list[dict], budget: int, gate: Thresholds,
             advice: Advice = NAV_ADVICE) -> list[str]:
    """What failed for one seed (or one of its families), by how much, whether it plateaued,
    and what to try: PPO's own knobs, and ``advice`` in the environment's own terms."""
    if check.passed:
        return []
    who = f"seed {check.seed}" + (f", family {check.family}" if check.family else "")
    out = [f"{who}: " + "; ".join(check.failures)]
    own = _family_curve(curve, check.family)
    flat, gain, span = plateau(own)
    last = curve[-1]["timesteps"] if curve else 0
    if len(own) < 4:  # too few points to fit a trend: say so instead of printing NaN
        out.append(f"{who}: only {len(own)} periodic evaluation(s) before the budget of "
                   f"{budget:,} steps ran out at {last:,}: too few to tell a plateau from "
                   f"progress; raise expert.budget (e.g. to {2 * budget:,}) or evaluate more "
                   f"often (a smaller expert.eval.every)")
    elif flat:
        out.append(f"{who}: learning curve plateaued (success {gain:+.3f} over the "
                   f"last {span:,} steps): try a lower expert.ppo.learning_rate, a larger "
                   f"net_arch, more n_envs, or an ent_coef > 0 to keep exploring")
    else:
        out.append(f"{who}: still improving ({gain:+.3f} success over the last "
                   f"{span:,} steps) when the budget of {budget:,} steps ran out at {last:,}: "
                   f"raise expert.budget (e.g. to {2 * budget:,})")
    if check.collision_rate > gate.collision:
        out.append(f"{who}: collisions {check.collision_rate:.1%}: {advice.collisions}")
    if check.timeout_rate > 1.0 - gate.success:
        out.append(f"{who}: time-outs {check.timeout_rate:.1%}: {advice.timeouts}")
    return out


def _family_curve(curve: list[dict], family: str | None) -> list[dict]:
    """The learning curve as seen by one family (its rates in place of the pooled ones)."""
    if family is None:
        return curve
    return [{**r, **r["families"][family]} for r in curve if family in (r.get("families") or {})]


def unconverged_families(curve: list[dict], families: tuple[str, ...], gate: Thresholds,
                         consecutive: int) -> list[str]:
    """The families that never held the gate for ``consecutive`` evaluations in a row."""
    out = []
    for name in families:
        hits = [gate.met(r["success_rate"], r["collision_rate"])
                for r in _family_curve(curve, name)]
        if first_sustained(hits, consecutive) is None:
            out.append(name)
    return out


def _rank(check: SeedCheck, cells: list[SeedCheck]) -> tuple:
    """The chosen seed is the best on its worst family (of a mix), then on all its episodes."""
    own = [x for x in cells if x.seed == check.seed]
    worst = (min(x.success_rate for x in own), -max(x.collision_rate for x in own)) if own else ()
    return (*worst, check.success_rate, -check.collision_rate, -check.seed)


def decide(finals: dict[int, EvalSummary], curves: dict[int, list[dict]],
           converged_at: dict[int, int | None], gate: Thresholds, min_seeds: int, budget: int,
           consecutive: int, finals_by_family: dict[int, dict[str, EvalSummary]] | None = None,
           families: tuple[str, ...] = (), advice: Advice = NAV_ADVICE) -> Decision:
    """Approve only when at least ``min_seeds`` seeds ran and every one converged within the
    budget (K consecutive periodic evaluations at the thresholds) and passes the final gate.

    With ``finals_by_family`` (an expert of a scenario mix), the gate and convergence hold per
    family: a seed passes only when every one of ``families`` passes on its own final
    episodes, and a failing family is named in the diagnostics with its seed, criterion and
    margin. ``advice``: what the diagnostics may suggest in the environment's own terms
    (:func:`harness.envs.advice`)."""
    checks, cells = [], []
    diagnostics: list[str] = []
    for s in sorted(finals):
        c = check_seed(s, finals[s], gate)
        own: list[SeedCheck] = []
        if finals_by_family is not None:
            got = finals_by_family.get(s, {})
            missing = [name for name in families if name not in got]
            own = [check_seed(s, got[name], gate, name) for name in families if name in got]
            failed = [f"family {x.family}: " + "; ".join(x.failures) for x in own if not x.passed]
            failed += [f"family {name}: no final evaluation" for name in missing]
            # the gate is per family: the pooled rates are shown, the families decide
            c = replace(c, passed=not failed, failures=tuple(failed))
            cells += own
        if converged_at.get(s) is None:
            why = (f"did not converge: never {consecutive} consecutive periodic evaluations at "
                   f"success >= {gate.success:.2f} and collision <= {gate.collision:.2f}")
            if finals_by_family is not None:
                stuck = unconverged_families(curves.get(s, []), families, gate, consecutive)
                why += (" on every family (never held by " + ", ".join(stuck) + ")"
                        if stuck else " on all families at once")
            c = replace(c, passed=False, failures=c.failures + (f"{why} within {budget:,} steps",))
            if finals_by_family is not None:
                diagnostics.append(f"seed {s}: {why} within {budget:,} steps")
        checks.append(c)
        if finals_by_family is None:
            diagnostics += diagnose(c, curves.get(s, []), budget, gate, advice)
        else:
            for x in own:
                diagnostics += diagnose(x, curves.get(s, []), budget, gate, advice)
            diagnostics += [f"seed {s}, family {name}: no final evaluation recorded"
                            for name in families if name not in finals_by_family.get(s, {})]
    if len(checks) < min_seeds:
        diagnostics.insert(0, f"only {len(checks)} seeds evaluated; promotion needs at least "
                           f"{min_seeds}: add seeds to expert.seeds")
    approved = not diagnostics and all(c.passed for c in checks)
    best = max(checks, key=lambda c: _rank(c, cells), default=None)
    return Decision(status="approved" if approved else "rejected", seeds=tuple(checks),
                    diagnostics=tuple(diagnostics),
                    chosen_seed=best.seed if (approved and best) else None,
                    families=tuple(cells))
