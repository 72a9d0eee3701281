"""Dataset analytics: distributions, outcome counts, action histograms, per-episode anomalies."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np

from harness.datasets.playback import replay_check
from harness.datasets.schema import DATA_DIR, DATA_FILE, METADATA_FILE, OUTCOMES
from harness.stats import distribution

NEAR_COLLISION = 0.05
"""Minimum clearance (m) below which a non-colliding episode is flagged as a near collision."""
SATURATION = 0.99
SATURATED_FRACTION = 0.5
"""Flag an episode when more than this fraction of its steps steers at the bound
(|omega action| >= SATURATION): bang-bang steering that BC reproduces poorly. Cruising at full
linear speed is normal driving and is not flagged."""


def episode_table(folder: Path) -> list[dict]:
    rows = []
    with h5py.File(folder / DATA_DIR / DATA_FILE, "r") as fh:
        for i in range(len(fh.keys())):
            g = fh[f"episode_{i}"]
            act = g["actions"][()]
            sat = (np.abs(act[:, 1]) >= SATURATION).mean() if len(act) else 0.0
            rows.append({"episode": i, "seed": int(g.attrs["seed"]),
                         "scenario": str(g.attrs["scenario"]),
                         "outcome": str(g.attrs["outcome"]), "length": int(len(act)),
                         "return": float(np.sum(g["rewards"][()])),
                         "min_clearance": float(np.min(g["infos"]["min_clearance"][()])),
                         "saturated_fraction": float(sat),
                         "pedestrians": int(g.attrs["pedestrians"]),
                         "start_goal_distance": float(g.attrs["start_goal_distance"])})
    return rows


def actions(folder: Path) -> np.ndarray:
    with h5py.File(folder / DATA_DIR / DATA_FILE, "r") as fh:
        return np.concatenate([fh[f"episode_{i}"]["actions"][()] for i in range(len(fh.keys()))])


def _histograms(acts: np.ndarray, bins: int = 40) -> dict:
    edges = np.linspace(-1.0, 1.0, bins + 1)
    return {"edges": edges.tolist(),
            "v": np.histogram(acts[:, 0], bins=edges)[0].tolist() if len(acts) else [],
            "omega": np.histogram(acts[:, 1], bins=edges)[0].tolist() if len(acts) else []}


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
    return {
        "dataset_id": meta.get("dataset_id"),
        "episodes": len(rows),
        "steps": int(lengths.sum()),
        "outcomes": {o: sum(r["outcome"] == o for r in rows) for o in OUTCOMES},
        "return": distribution([r["return"] for r in rows]).to_json(),
        "length": distribution(lengths).to_json(),
        "min_clearance": distribution([r["min_clearance"] for r in rows]).to_json(),
        "action_v": distribution(acts[:, 0]).to_json() if len(acts) else {},
        "action_omega": distribution(acts[:, 1]).to_json() if len(acts) else {},
        "action_histogram": _histograms(acts),
        "anomaly_counts": {k: sum(k in r["anomalies"] for r in rows) for k in (
            "outlier_length", "near_collision", "saturated_actions", "replay_mismatch")},
        "replayed": bool(replay),
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
