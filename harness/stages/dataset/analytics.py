"""Dataset analytics: distributions, outcome counts, action histograms, per-episode anomalies."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np

from harness.stages.dataset.playback import replay_check
from harness.stages.dataset.schema import (
    DATA_DIR,
    DATA_FILE,
    METADATA_FILE,
    OUTCOMES,
    generic_layout,
)
from harness.stats import distribution

NEAR_COLLISION = 0.05
"""Minimum clearance (m) below which a non-colliding episode is flagged as a near collision."""
SATURATION = 0.99
SATURATED_FRACTION = 0.5
"""Flag an episode when more than this fraction of its steps steers at the bound
(|omega action| >= SATURATION): bang-bang steering that BC reproduces poorly. Cruising at full
linear speed is normal driving and is not flagged."""


def episode_table(folder: Path) -> list[dict]:
    """One row per episode. Of a declared environment's dataset, what the simulator alone
    measures (clearance, pedestrians, start-goal distance) is NaN, and saturation is the
    fraction of steps with some Box action dimension at its bound (0 for discrete actions)."""
    meta = json.loads((folder / DATA_DIR / METADATA_FILE).read_text())
    declared = generic_layout(meta)
    rows = []
    with h5py.File(folder / DATA_DIR / DATA_FILE, "r") as fh:
        for i in range(len(fh.keys())):
            g = fh[f"episode_{i}"]
            act = g["actions"][()]
            infos = g["infos"]
            row = {"episode": i, "seed": int(g.attrs["seed"]),
                   "scenario": str(g.attrs["scenario"]),
                   "outcome": str(g.attrs["outcome"]), "length": int(len(act)),
                   "return": float(np.sum(g["rewards"][()])),
                   "min_clearance": float(np.min(infos["min_clearance"][()]))
                   if "min_clearance" in infos and len(infos["min_clearance"]) else float("nan"),
                   "saturated_fraction": _saturation(act, meta["action_contract"], declared),
                   "pedestrians": int(g.attrs["pedestrians"]) if "pedestrians" in g.attrs
                   else float("nan"),
                   "start_goal_distance": float(g.attrs.get("start_goal_distance", float("nan")))}
            for name in meta.get("descriptors", []):
                row[name] = float(g.attrs.get(name, float("nan")))
            rows.append(row)
    return rows


def _saturation(act: np.ndarray, contract: dict, declared: bool) -> float:
    if not len(act):
        return 0.0
    if not declared:  # the simulator: steering (omega) at its bound
        return float((np.abs(act[:, 1]) >= SATURATION).mean())
    if contract.get("kind") != "box":
        return 0.0
    low, high = np.asarray(contract["low"]), np.asarray(contract["high"])
    flat = act.reshape(len(act), -1)
    span = np.where(np.isfinite(high - low), high - low, np.inf)
    edge = (1 - SATURATION) * span / 2
    near = (flat - low <= edge) | (high - flat <= edge)
    return float(near.any(axis=1).mean())


def actions(folder: Path) -> np.ndarray:
    with h5py.File(folder / DATA_DIR / DATA_FILE, "r") as fh:
        return np.concatenate([fh[f"episode_{i}"]["actions"][()] for i in range(len(fh.keys()))])


def _histograms(acts: np.ndarray, bins: int = 40) -> dict:
    edges = np.linspace(-1.0, 1.0, bins + 1)
    if acts.ndim != 2 or acts.shape[1] < 2:
        return {"edges": edges.tolist(), "v": [], "omega": []}
    return {"edges": edges.tolist(),
            "v": np.histogram(acts[:, 0], bins=edges)[0].tolist() if len(acts) else [],
            "omega": np.histogram(acts[:, 1], bins=edges)[0].tolist() if len(acts) else []}


def action_panels(acts: np.ndarray, contract: dict, bins: int = 40) -> list[dict]:
    """Histograms of a declared environment's actions: counts per discrete action, or the first
    two Box dimensions over their bounds (the data's range where a bound is infinite)."""
    if contract.get("kind") == "discrete":
        start, n = contract["start"], contract["n"]
        edges = [start - 0.5 + k for k in range(n + 1)]
        return [{"title": "actions", "label": "discrete action", "edges": edges,
                 "counts": [int((acts == start + k).sum()) for k in range(n)]}]
    flat = acts.reshape(len(acts), -1)
    out = []
    for d in range(min(2, flat.shape[1])):
        lo, hi = contract["low"][d], contract["high"][d]
        if not (np.isfinite(lo) and np.isfinite(hi)):
            lo, hi = float(flat[:, d].min()), float(flat[:, d].max()) + 1e-9
        edges = np.linspace(lo, hi, bins + 1)
        out.append({"title": f"action dim {d}", "label": f"action[{d}]",
                    "edges": edges.tolist(),
                    "counts": np.histogram(flat[:, d], bins=edges)[0].tolist()})
    return out


def analyse(folder: Path, replay: bool = True) -> dict:
    """All analytics of a dataset folder, with per-episode anomaly flags."""
    rows = episode_table(folder)
    lengths = np.array([r["length"] for r in rows], dtype=float)
    families = list(dict.fromkeys(r["scenario"] for r in rows))
    fences = {}  # a length is an outlier among its own family's (their lengths differ)
    for family in families:
        own = np.array([r["length"] for r in rows if r["scenario"] == family], dtype=float)
        q1, q3 = np.quantile(own, [0.25, 0.75])
        fences[family] = (q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1))
    mismatches = {}
    if replay:
        for rep in replay_check(folder, [r["episode"] for r in rows]):
            if not rep.matches:
                mismatches[rep.episode] = rep
    for r in rows:
        flags = []
        lo, hi = fences[r["scenario"]]
        if not lo <= r["length"] <= hi:
            flags.append("outlier_length")
        if r["outcome"] != "collision" and r["min_clearance"] < NEAR_COLLISION:
            flags.append("near_collision")
        if r["saturated_fraction"] > SATURATED_FRACTION:
            flags.append("saturated_actions")
        if r["episode"] in mismatches:
            flags.append("replay_mismatch")
        r["anomalies"] = flags
    acts = actions(folder)
    meta = json.loads((folder / DATA_DIR / METADATA_FILE).read_text())
    panels = action_panels(acts, meta["action_contract"]) if generic_layout(meta) else None
    return {
        "dataset_id": meta.get("dataset_id"),
        "episodes": len(rows),
        "steps": int(lengths.sum()),
        "outcomes": {o: sum(r["outcome"] == o for r in rows) for o in OUTCOMES},
        "return": distribution([r["return"] for r in rows]).to_json(),
        "length": distribution(lengths).to_json(),
        "min_clearance": distribution([r["min_clearance"] for r in rows]).to_json(),
        "action_v": distribution(acts[:, 0]).to_json() if len(acts) and acts.ndim == 2 else {},
        "action_omega": distribution(acts[:, 1]).to_json()
        if len(acts) and acts.ndim == 2 and acts.shape[1] > 1 else {},
        **({"action_counts": {str(a): int((acts == a).sum()) for a in np.unique(acts)}}
           if acts.ndim == 1 else {}),
        "action_histogram": _histograms(acts),
        "anomaly_counts": {k: sum(k in r["anomalies"] for r in rows) for k in (
            "outlier_length", "near_collision", "saturated_actions", "replay_mismatch")},
        "replayed": bool(replay),
        **({"action_panels": panels} if panels is not None else {}),
        "by_family": {family: _family_stats([r for r in rows if r["scenario"] == family])
                      for family in families},
        "episodes_table": rows,
    }


def _family_stats(rows: list[dict]) -> dict:
    """One family's share of the dataset: outcomes, return, length, clearance, anomalies."""
    return {"episodes": len(rows), "steps": int(sum(r["length"] for r in rows)),
            "outcomes": {o: sum(r["outcome"] == o for r in rows) for o in OUTCOMES},
            "return": distribution([r["return"] for r in rows]).to_json(),
            "length": distribution([r["length"] for r in rows]).to_json(),
            "min_clearance": distribution([r["min_clearance"] for r in rows]).to_json(),
            "anomalies": sum(bool(r["anomalies"]) for r in rows)}
