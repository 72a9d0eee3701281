"""Recording expert episodes with the batched simulator and writing them in the Minari layout."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

from harness.core.hashing import file_sha256, json_default
from harness.envs import environment
from harness.evaluate import Policy, run_episodes
from harness.nav.mix import ScenarioMix
from harness.nav.outcomes import outcome_of_info
from harness.nav.scenario import Scenario
from harness.stages.dataset.schema import (
    DATA_DIR,
    DATA_FILE,
    METADATA_FILE,
    SCHEMA_VERSION,
)


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

        env = environment(scenario)
        keys = env.info_keys

        def on_reset(ep: int, obs: np.ndarray, layout: dict, _index=index, _own=own,
                     _keys=keys) -> None:
            k = _index[ep]
            e = Episode(seed=seeds[k], scenario=layout["scenario"], layout=layout)
            e.observations.append(obs)
            e.infos.append({key: _reset_info(key, layout) for key in _keys})
            _own[ep] = e

        def on_step(ep: int, obs, action, reward, next_obs, terminated, truncated, info,
                    _own=own, _keys=keys, _env=env) -> None:
            e = _own[ep]
            e.observations.append(next_obs)
            e.actions.append(action)
            e.rewards.append(reward)
            e.terminations.append(terminated)
            e.truncations.append(truncated)
            e.infos.append({key: info[key] for key in _keys})
            if terminated or truncated:
                e.layout.update(_env.episode_end(info))

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

    layout = environment(scenarios[0]).dataset_layout(scenarios, episodes, mix)
    obs_space, act_space, keys = layout.observation_space, layout.action_space, layout.info_keys
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
                            "return": float(np.sum(e.rewards)), **layout.attributes(e)})
    metadata = {
        # Minari's keys (minari.load_dataset / MinariDataset read these)
        "dataset_id": dataset_id,
        "minari_version": minari_version,
        "data_format": "hdf5",
        "total_episodes": len(episodes),
        "total_steps": int(sum(len(e.actions) for e in episodes)),
        "observation_space": serialize_space(obs_space),
        "action_space": serialize_space(act_space),
        "env_spec": layout.env_spec,
        "algorithm_name": "expert PPO (stable-baselines3)",
        # ours, all mandatory (schema.MANDATORY_KEYS)
        "schema_version": SCHEMA_VERSION,
        "observation_contract": layout.observation_contract,
        "action_contract": layout.action_contract,
        **layout.metadata,
        "coverage": layout.coverage(episodes),
        **({"mix": {"name": mix.name, "weights": mix.weights_by_family}}
           if mix is not None else {}),
        "data_sha256": file_sha256(path),
        **provenance,
    }
    (data / METADATA_FILE).write_text(json.dumps(metadata, indent=1, default=json_default))
    return metadata
