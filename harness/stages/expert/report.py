"""The expert stage's section of the report: each seed's run, the gate and the promotion."""

from __future__ import annotations

import json

from harness.core.store import Artifact
from harness.report import answers, figures
from harness.report.lookup import first_of
from harness.stages.expert.records import ExpertMetrics, ExpertRunMetrics


def expert_section(study, artifacts: dict[str, Artifact]) -> dict | None:
    """The expert stage as its artefacts recorded it (gate and schedule from their configs)."""
    expert = first_of(artifacts, "expert")
    if expert is None:
        return None
    runs = [artifacts[r["id"]] for r in expert.manifest["inputs"] if r["id"] in artifacts]
    curves = {a.manifest["seeds"][0]: json.loads(a.file("learning_curve.json").read_text())
              for a in runs}
    decision = ExpertMetrics.from_json(expert.metrics).decision.to_json()
    gate = expert.manifest["config"]["promotion"]
    run_cfg = runs[0].manifest["config"] if runs else {}
    conv = run_cfg.get("convergence", {})
    rows = []
    for a in sorted(runs, key=lambda a: a.manifest["seeds"][0]):
        seed = a.manifest["seeds"][0]
        m = ExpertRunMetrics.from_json(a.metrics)
        final = m.final_eval
        check = next(c for c in decision["seeds"] if c["seed"] == seed)
        rows.append({"seed": seed, "id": a.id, "status": a.status,
                     "converged_at": m.converged_at, "timesteps": m.timesteps,
                     "wall_min": round(m.train_wall_seconds / 60.0, 1),
                     "steps_per_second": m.steps_per_second,
                     "episodes": final.episodes, "success": final.success_rate,
                     "success_ci": final.success_ci, "collision": final.collision_rate,
                     "collision_ci": final.collision_ci, "timeout": final.timeout_rate,
                     "return": final.return_.to_json(), "passed": check["passed"],
                     "failures": check["failures"]})
    figure = figures.learning_curves(
        curves, conv.get("success", gate["success"]), conv.get("collision", gate["collision"]),
        {r["seed"]: r["converged_at"] for r in rows},
        f"Expert PPO on '{expert.manifest.get('scenario')}'")
    families = expert.manifest["config"].get("families", [])
    per_family = bool(gate.get("per_family"))
    return {"id": expert.id, "status": expert.status, "scenario": expert.manifest.get("scenario"),
            "chosen_seed": expert.manifest.get("chosen_seed"),
            "per_family": per_family, "families": families,
            "family_gate": family_gate(decision, families) if per_family else None,
            "family_heatmap": figures.family_gate_heatmap(
                family_gate(decision, families), gate["success"], gate["collision"])
            if per_family else None,
            "family_figure": figures.family_curves(
                curves, conv.get("success", gate["success"]),
                conv.get("collision", gate["collision"]), families,
                f"Expert PPO on mix '{expert.manifest.get('scenario')}'") if per_family else None,
            "diagnostics": decision["diagnostics"], "rows": rows, "figure": figure,
            "gate": gate,
            "convergence": {**conv, "every": run_cfg.get("eval", {}).get("every"),
                            "episodes": run_cfg.get("eval", {}).get("episodes")},
            "budget": run_cfg.get("budget"), "ppo": run_cfg.get("ppo")}


def family_gate(decision: dict, families: list[str]) -> dict:
    """The per-family gate as a family x seed table: each cell that family's final success and
    collision rates (Wilson 95% intervals) on its own episodes, and whether it passes."""
    seeds = [c["seed"] for c in decision["seeds"]]
    cells = {(c["family"], c["seed"]): c for c in decision.get("families", [])}
    rows = []
    for family in families:
        row = {"family": family, "cells": [cells.get((family, s)) for s in seeds]}
        row["passed"] = all(c is not None and c["passed"] for c in row["cells"])
        rows.append(row)
    return {"seeds": seeds, "rows": rows}


def expert_answers(ex: dict) -> list[dict]:
    """Page one: is the expert approved, and by how much it clears (or misses) the gate: the
    worst (seed, family) cell's success and collision with their intervals; a rejected expert's
    diagnostics as a list (said once: every test downstream is blocked by it)."""
    gate = ex["gate"]
    if ex["per_family"] and ex["family_gate"]:
        cells = [{**c, "where": f"{r['family']}, seed {s}"}
                 for r in ex["family_gate"]["rows"]
                 for s, c in zip(ex["family_gate"]["seeds"], r["cells"], strict=True)
                 if c is not None]
        cells = [{**c, "success": c["success_rate"], "collision": c["collision_rate"]}
                 for c in cells]
        unit = "(seed, family) cell"
    else:
        cells = [{**r, "where": f"seed {r['seed']}"} for r in ex["rows"]]
        unit = "seed"
    gate_text = (f"success >= {gate['success']:.2f} and collision <= {gate['collision']:.2f} on "
                 f"{gate['final_episodes']} final-evaluation episodes "
                 f"{'of each family ' if ex['per_family'] else ''}per seed")
    worst = []
    if cells:
        low = min(cells, key=lambda c: c["success"])
        high = max(cells, key=lambda c: c["collision"])
        worst = [f"lowest success {answers.rate(low['success'], low['success_ci'])} "
                 f"({low['where']})",
                 f"highest collision {answers.rate(high['collision'], high['collision_ci'])} "
                 f"({high['where']})"]
    seeds = len(ex["rows"])
    if ex["status"] == "approved":
        passed = sum(1 for r in ex["rows"] if r["passed"])
        where = f"the mix '{ex['scenario']}'" if ex["per_family"] else f"'{ex['scenario']}'"
        text = (f"Approved: {answers.of(passed, seeds)} seeds pass the gate ({gate_text}) on "
                f"{where}; worst {unit}: " + "; ".join(worst) + ".")
        return [answers.answer("Expert", text, criteria=["SC-001"], artifact=ex["id"])]
    status = "" if ex["status"] == "rejected" else f" ({ex['status']})"
    text = (f"REJECTED{status}: the expert on '{ex['scenario']}' does not pass the gate "
            f"({gate_text})" + ("; worst " + unit + ": " + "; ".join(worst) if worst else "")
            + ". Nothing downstream was built from it; its diagnostics:")
    return [answers.answer("Expert", text, criteria=["SC-001"], items=ex["diagnostics"],
                           artifact=ex["id"])]
