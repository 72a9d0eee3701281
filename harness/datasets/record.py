"""Recording expert episodes with the batched simulator and writing them in the Minari layout."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import gymnasium as gym
import h5py
import numpy as np

from harness.core.hashing import file_sha256, json_default
from harness.datasets.schema import (
    DATA_DIR,
    DATA_FILE,
    DECLARED_INFO_KEYS,
    INFO_KEYS,
    METADATA_FILE,
    OUTCOMES,
    SCHEMA_VERSION,
)
from harness.envs import is_declared
from harness.evaluate import Policy, run_episodes
from harness.nav.env import action_space, observation_space
from harness.nav.mix import ScenarioMix
from harness.nav.observation import observation_fields
from harness.nav.outcomes import outcome_of_info
from harness.nav.scenario import Scenario
from harness.stats import distribution


@dataclass
class Episode:
    """One recorded episode, aligned: ``observations[t]`` is what ``actions[t]`` acted on."""

    seed: int
    scenario: str
    layout: dict
    observations: list = field(default_factory=list)
    actions: list = field(default_factory=list)
    rewards: list = field(default_factory=list)
    terminations: list = field(default_factory=list)
    truncations: list = field(default_factory=list)
    infos: list = field(default_factory=list)

    @property
    def outcome(self) -> str:
        return outcome_of_info(self.infos[-1])


def collect(policy: Policy, scenarios: list[Scenario | ScenarioMix], seeds: list[int],
            deterministic: bool, n_envs: int = 64) -> list[Episode]:
    """Episode k runs on ``scenarios[k % len(scenarios)]`` from ``seeds[k]``; a mix among them
    plays the family it deals to the seed, and the episode is recorded under that family."""
    episodes: list[Episode | None] = [None] * len(seeds)
    for j, scenario in enumerate(scenarios):
        index = list(range(j, len(seeds), len(scenarios)))
        own: dict[int, Episode] = {}

        keys = info_keys(scenario)
        declared = is_declared(scenario)

        def on_reset(ep: int, obs: np.ndarray, layout: dict, _index=index, _own=own,
                     _keys=keys) -> None:
            k = _index[ep]
            e = Episode(seed=seeds[k], scenario=layout["scenario"], layout=layout)
            e.observations.append(obs)
            e.infos.append({key: _reset_info(key, layout) for key in _keys})
            _own[ep] = e

        def on_step(ep: int, obs, action, reward, next_obs, terminated, truncated, info,
                    _own=own, _keys=keys, _family=scenario if declared else None) -> None:
            e = _own[ep]
            e.observations.append(next_obs)
            e.actions.append(action)
            e.rewards.append(reward)
            e.terminations.append(terminated)
            e.truncations.append(truncated)
            e.infos.append({key: info[key] for key in _keys})
            if _family is not None and (terminated or truncated):
                e.layout.update(_family.describe_end(info))

        run_episodes(policy, scenario, [seeds[k] for k in index], n_envs=n_envs,
                     deterministic=deterministic, on_step=on_step, on_reset=on_reset)
        for ep, k in enumerate(index):
            episodes[k] = own[ep]
    return [e for e in episodes if e is not None]


def _reset_info(key: str, layout: dict) -> float | bool:
    if key.startswith("is_"):
        return False
    if key == "goal_distance":
        return layout["start_goal_distance"]
    return layout["clearance"] if key == "min_clearance" else 0.0


def info_keys(scenario) -> tuple[str, ...]:
    """The ``info`` keys a dataset records at every step: the simulator's, or, for a declared
    environment, the outcome flags (its descriptors are episode attributes)."""
    return DECLARED_INFO_KEYS if is_declared(scenario) else INFO_KEYS


def declared_contracts(family) -> tuple[dict, dict]:
    """Observation and action contracts of a declared environment, from its spaces."""
    return space_contract(family.observation_space), space_contract(family.action_space)


def space_contract(space: gym.Space) -> dict:
    if isinstance(space, gym.spaces.Discrete):
        return {"kind": "discrete", "n": int(space.n), "start": int(space.start),
                "shape": [], "dtype": str(np.dtype(space.dtype))}
    if isinstance(space, gym.spaces.Box):
        return {"kind": "box", "shape": list(space.shape), "dtype": str(np.dtype(space.dtype)),
                "dim": int(np.prod(space.shape)),
                "low": space.low.reshape(-1).tolist(), "high": space.high.reshape(-1).tolist()}
    raise ValueError(f"{type(space).__name__} spaces are not supported (Box and Discrete are); "
                     f"declare a wrapper that flattens it, e.g. "
                     f"gymnasium.wrappers:FlattenObservation")


def observation_contract(scenario: Scenario) -> dict:
    """The observation layout every stage must agree on (checked at each hand-over)."""
    space = observation_space(scenario)
    return {"dim": scenario.obs_dim, "dtype": "float32", "lidar_rays": scenario.lidar.rays,
            "lidar_range": scenario.lidar.range,
            "fields": observation_fields(scenario.lidar.rays, scenario.lidar.history,
                                         scenario.observation.waypoint),
            "low": space.low.tolist(), "high": space.high.tolist()}


def action_contract() -> dict:
    space = action_space()
    return {"dim": 2, "dtype": "float32", "fields": ["v / max_speed", "omega / max_angular"],
            "low": space.low.tolist(), "high": space.high.tolist()}


def coverage(episodes: list[Episode], declared: bool = False) -> dict:
    """Scenario coverage summary: what the dataset contains, for shift analysis and review."""
    if declared:
        return declared_coverage([{"scenario": e.scenario, "steps": len(e.actions),
                                   "outcome": e.outcome,
                                   "descriptors": {k: v for k, v in e.layout.items()
                                                   if k != "scenario"}} for e in episodes])
    return coverage_of([{"scenario": e.scenario, "steps": len(e.actions), "outcome": e.outcome,
                         "start_goal_distance": e.layout["start_goal_distance"],
                         "pedestrians": e.layout["pedestrians"],
                         "obstacles": e.layout["obstacles"]} for e in episodes])


def coverage_of(rows: list[dict]) -> dict:
    """:func:`coverage` from per-episode rows (``scenario``, ``steps``, ``outcome``,
    ``start_goal_distance``, ``pedestrians``, ``obstacles``), e.g. the episode attributes of a
    written dataset."""
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


def write_dataset(folder: Path, dataset_id: str, episodes: list[Episode], scenarios: list,
                  provenance: dict, mix: ScenarioMix | None = None) -> dict:
    """Write ``folder/data/{main_data.hdf5,metadata.json}``; returns the metadata written.

    Recorded over a ``mix``, ``scenarios`` are its families (each episode names its own, and
    replays from ``env_config[family]`` and its seed); the env spec is the mix's. A declared
    Gymnasium environment's episodes keep its spaces' own shapes and dtypes, its descriptors
    are episode attributes, and its env spec (id and kwargs, so that
    ``minari.load_dataset(...).recover_environment()`` makes it) goes into the metadata.

    ``provenance`` carries the expert reference, seeds, git state, creation time and whether
    actions were deterministic; the rest of the mandatory metadata is derived here.
    """
    from minari import __version__ as minari_version
    from minari.serialization import serialize_space

    first = scenarios[0]
    declared = is_declared(first)
    if declared:
        obs_space, act_space = first.observation_space, first.action_space
        obs_contract, act_contract = declared_contracts(first)
        keys = DECLARED_INFO_KEYS
        names = sorted({k for e in episodes for k in e.layout if k != "scenario"})

        def attrs(e: Episode) -> dict:
            return {k: float(e.layout[k]) for k in names if k in e.layout}

        base = first.make_base()
        try:
            env_spec = base.spec.to_json()
        finally:
            base.close()
        own = {"env_config": {f.name: f.as_dict() for f in scenarios},
               "info_keys": list(keys), "descriptors": names}
    else:
        from harness.nav import env_id, mix_env_id

        obs_space, act_space = observation_space(first), action_space()
        obs_contract, act_contract = observation_contract(first), action_contract()
        keys = INFO_KEYS

        def attrs(e: Episode) -> dict:
            return {k: e.layout[k] for k in ("start_goal_distance", "pedestrians", "obstacles")}

        env_spec = gym.spec(mix_env_id(mix.name) if mix is not None else env_id(first.name)) \
            .to_json()
        own = {"env_config": {s.name: asdict(s) for s in scenarios}}
    data = folder / DATA_DIR
    data.mkdir(parents=True, exist_ok=True)
    path = data / DATA_FILE
    with h5py.File(path, "w") as fh:
        for i, e in enumerate(episodes):
            g = fh.create_group(f"episode_{i}")
            g.create_dataset("observations", data=np.asarray(e.observations, dtype=obs_space.dtype)
                             .reshape(-1, *obs_space.shape))
            g.create_dataset("actions", data=np.asarray(e.actions, dtype=act_space.dtype)
                             .reshape(-1, *act_space.shape))
            g.create_dataset("rewards", data=np.asarray(e.rewards, dtype=np.float64))
            g.create_dataset("terminations", data=np.asarray(e.terminations, dtype=bool))
            g.create_dataset("truncations", data=np.asarray(e.truncations, dtype=bool))
            infos = g.create_group("infos")
            for key in keys:
                infos.create_dataset(key, data=np.asarray([inf[key] for inf in e.infos]))
            g.attrs.update({"id": i, "seed": e.seed, "total_steps": len(e.actions),
                            "scenario": e.scenario, "outcome": e.outcome,
                            "return": float(np.sum(e.rewards)), **attrs(e)})
    metadata = {
        # Minari's keys (minari.load_dataset / MinariDataset read these)
        "dataset_id": dataset_id,
        "minari_version": minari_version,
        "data_format": "hdf5",
        "total_episodes": len(episodes),
        "total_steps": int(sum(len(e.actions) for e in episodes)),
        "observation_space": serialize_space(obs_space),
        "action_space": serialize_space(act_space),
        "env_spec": env_spec,
        "algorithm_name": "expert PPO (stable-baselines3)",
        # ours, all mandatory (schema.MANDATORY_KEYS)
        "schema_version": SCHEMA_VERSION,
        "observation_contract": obs_contract,
        "action_contract": act_contract,
        **own,
        "coverage": coverage(episodes, declared=declared),
        **({"mix": {"name": mix.name, "weights": mix.weights_by_family}}
           if mix is not None else {}),
        "data_sha256": file_sha256(path),
        **provenance,
    }
    (data / METADATA_FILE).write_text(json.dumps(metadata, indent=1, default=json_default))
    return metadata
