"""What a dataset contains, summarised from its episodes: the ``coverage`` metadata.

Pure functions of per-episode rows, one per kind of environment: the built-in simulator's rows
carry its layout draws (start-goal distance, pedestrian and obstacle counts), a declared
environment's carry its reset descriptors. Which one a dataset uses is the environment's call
(:mod:`harness.envs`), and a subset of a written dataset is summarised by the same function.
"""

from __future__ import annotations

from harness.stages.dataset.schema import OUTCOMES
from harness.stats import distribution


def coverage_of(rows: list[dict]) -> dict:
    """Coverage of the built-in simulator's dataset from per-episode rows (``scenario``,
    ``steps``, ``outcome``, ``start_goal_distance``, ``pedestrians``, ``obstacles``), e.g. the
    episode attributes of a written dataset."""
    per = {}
    for name in sorted({r["scenario"] for r in rows}):
        own = [r for r in rows if r["scenario"] == name]
        per[name] = {
            "episodes": len(own),
            "steps": int(sum(r["steps"] for r in own)),
            "start_goal_distance": distribution([r["start_goal_distance"]
                                                 for r in own]).to_json(),
            "pedestrians": _counts([r["pedestrians"] for r in own]),
            "obstacles": _counts([r["obstacles"] for r in own]),
            "outcomes": {o: sum(r["outcome"] == o for r in own) for o in OUTCOMES},
        }
    return {"scenarios": per,
            "episodes_per_scenario": {k: v["episodes"] for k, v in per.items()},
            "outcomes": {o: sum(r["outcome"] == o for r in rows) for o in OUTCOMES},
            "start_goal_distance": distribution([r["start_goal_distance"]
                                                 for r in rows]).to_json(),
            "pedestrians": _counts([r["pedestrians"] for r in rows])}


def declared_coverage(rows: list[dict]) -> dict:
    """Coverage of a declared environment's dataset: episodes, steps and outcomes per family
    and the distribution of every declared descriptor (none declared: families only, i.e. env
    id and kwargs, which ``env_config`` holds)."""
    per = {}
    for name in sorted({r["scenario"] for r in rows}):
        own = [r for r in rows if r["scenario"] == name]
        names = sorted({k for r in own for k in r["descriptors"]})
        per[name] = {"episodes": len(own), "steps": int(sum(r["steps"] for r in own)),
                     "outcomes": {o: sum(r["outcome"] == o for r in own) for o in OUTCOMES},
                     "descriptors": {d: distribution([r["descriptors"][d] for r in own])
                                     .to_json() for d in names}}
    return {"scenarios": per, "episodes_per_scenario": {k: v["episodes"] for k, v in per.items()},
            "outcomes": {o: sum(r["outcome"] == o for r in rows) for o in OUTCOMES}}


def _counts(values: list[int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in sorted(values):
        out[str(v)] = out.get(str(v), 0) + 1
    return out
