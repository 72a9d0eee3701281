"""The built-in simulator (:mod:`harness.nav`) as an :class:`~harness.envs.environment.Environment`:
its scenarios and mixes, the native batched VecEnv and episode runner, its observation layout
(lidar, goal, velocity) and the layout draws its datasets cover (start-goal distance, obstacle
and pedestrian counts)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict

import gymnasium as gym

from harness.envs.environment import COVERAGE_TOLERANCE, Advice, DatasetLayout
from harness.metrics import DatasetCoverage
from harness.nav.env import action_space as nav_action_space
from harness.nav.env import observation_space as nav_observation_space
from harness.nav.observation import observation_fields
from harness.stages.dataset.coverage import coverage_of
from harness.stages.dataset.schema import INFO_KEYS

NAV_ADVICE = Advice(
    collisions="make reward.collision more negative in the scenario, or lower robot.max_speed",
    timeouts="raise episode_steps or reward.progress in the scenario")

class Simulator:
    """A built-in scenario or mix (:class:`~harness.nav.scenario.Scenario`,
    :class:`~harness.nav.mix.ScenarioMix`)."""

    advice = NAV_ADVICE
    info_keys = INFO_KEYS
    dataset_prefix = "nav"

    def __init__(self, scenario):
        self.scenario = scenario
        self.name = scenario.name

    @property
    def observation_space(self) -> gym.spaces.Box:
        return nav_observation_space(self.scenario)

    @property
    def action_space(self) -> gym.spaces.Box:
        return nav_action_space()

    def training_env(self, n_envs: int, seed_block: tuple[int, int]):
        from harness.nav.vec_env import NavVecEnv

        return NavVecEnv(self.scenario, n_envs, seed_block=seed_block)

    def make(self, render_mode: str | None = None) -> gym.Env:
        from harness.nav.env import NavEnv

        return NavEnv(self.scenario, render_mode=render_mode)

    def play(self, policy, seeds: Sequence[int], n_envs: int, deterministic: bool,
             on_step=None, on_reset=None) -> dict:
        from harness.envs.native import run_native_episodes

        return run_native_episodes(policy, self.scenario, seeds, n_envs, deterministic,
                                   on_step, on_reset)

    def episode_end(self, info: dict) -> dict:
        return {}

    def lidar_layout(self) -> tuple[int, float] | None:
        lidar = self.scenario.lidar
        return lidar.rays * lidar.history, lidar.range

    def replay_check(self) -> bool | None:
        return None  # the simulator replays by construction (each episode is its seed's)

    # ------------------------------------------------------------------ datasets
    def observation_contract(self) -> dict:
        """The observation layout every stage must agree on (checked at each hand-over)."""
        s, space = self.scenario, self.observation_space
        return {"dim": s.obs_dim, "dtype": "float32", "lidar_rays": s.lidar.rays,
                "lidar_range": s.lidar.range,
                "fields": observation_fields(s.lidar.rays, s.lidar.history,
                                             s.observation.waypoint),
                "low": space.low.tolist(), "high": space.high.tolist()}

    def action_contract(self) -> dict:
        space = self.action_space
        return {"dim": 2, "dtype": "float32", "fields": ["v / max_speed", "omega / max_angular"],
                "low": space.low.tolist(), "high": space.high.tolist()}

    def contract_problems(self, contract: dict) -> list[str]:
        space, lidar = self.observation_space, self.scenario.lidar
        problems = []
        if contract.get("dim") != space.shape[0]:
            problems.append(f"dim: dataset {contract.get('dim')}, env {space.shape[0]}")
        if contract.get("low") != space.low.tolist() or contract.get(
                "high") != space.high.tolist():
            problems.append("bounds differ")
        if contract.get("lidar_rays") != lidar.rays or contract.get(
                "lidar_range") != lidar.range:
            problems.append(f"lidar: dataset {contract.get('lidar_rays')} rays / "
                            f"{contract.get('lidar_range')} m, env {lidar.rays} rays / "
                            f"{lidar.range} m")
        return problems

    def dataset_layout(self, scenarios: list, episodes: list, mix) -> DatasetLayout:
        from harness.nav import env_id, mix_env_id

        def attributes(e) -> dict:
            return {k: e.layout[k] for k in ("start_goal_distance", "pedestrians", "obstacles")}

        def coverage(eps: list) -> dict:
            return coverage_of([{"scenario": e.scenario, "steps": len(e.actions),
                                 "outcome": e.outcome, **attributes(e)} for e in eps])

        env_spec = gym.spec(mix_env_id(mix.name) if mix is not None else env_id(self.name)) \
            .to_json()
        return DatasetLayout(
            observation_space=self.observation_space, action_space=self.action_space,
            observation_contract=self.observation_contract(),
            action_contract=self.action_contract(), info_keys=INFO_KEYS, env_spec=env_spec,
            metadata={"env_config": {s.name: asdict(s) for s in scenarios}},
            attributes=attributes, coverage=coverage)

    # ------------------------------------------------------------------ shift coverage
    def declared_ranges(self, seeds: Sequence[int] = ()) -> dict:
        s = self.scenario
        return {"family": s.name, "layout": s.layout, "obstacles": list(s.obstacle_count),
                "pedestrians": list(s.pedestrian_count),
                "start_goal_distance": list(s.goal_distance)}

    def coverage(self, dataset_id: str, meta: dict, seeds: Sequence[int] = ()
                 ) -> DatasetCoverage:
        contents = dataset_coverage(meta["coverage"], meta["env_config"], self.name)
        return DatasetCoverage(id=dataset_id, **contents,
                               gaps=coverage_gaps(contents, self.scenario))


def dataset_coverage(coverage: dict, env_config: dict, family: str | None = None) -> dict:
    """What a dataset contains, from its recorded ``coverage`` metadata (per family under
    ``coverage["scenarios"]``) and its ``env_config`` (each family's declared layout kind): the
    families with their episode counts, layout kinds, obstacle and pedestrian count ranges and
    the start-goal distance range. With ``family`` (when the dataset has that family), that
    family's own episodes only; otherwise every episode of the dataset."""
    per = coverage.get("scenarios", {})
    names = [family] if family in per else sorted(per)
    if not names:
        raise ValueError("the dataset's coverage metadata has no per-family entries "
                         "('scenarios'); re-record it with this harness")

    def count_range(key: str) -> list[int]:
        values = [int(k) for n in names for k in per[n].get(key, {})]
        return [min(values), max(values)] if values else [0, 0]

    return {"families": {n: int(per[n]["episodes"]) for n in sorted(per)},
            "from_families": names,
            "layouts": sorted({env_config[n]["layout"] for n in names}),
            "obstacles": count_range("obstacles"),
            "pedestrians": count_range("pedestrians"),
            "start_goal_distance": [min(per[n]["start_goal_distance"]["min"] for n in names),
                                    max(per[n]["start_goal_distance"]["max"] for n in names)]}


def coverage_gaps(contents: dict, scenario) -> list[str]:
    """Where a dataset's contents (:func:`dataset_coverage`) fail to cover a scenario's declared
    ranges, each gap named in words (empty = covered): a missing family or layout kind, and
    count or distance ranges that do not reach the scenario's, as "<dataset> against
    <scenario>"."""
    gaps = []
    if scenario.name not in contents["families"]:
        have = ", ".join(f"{n} ({k})" for n, k in contents["families"].items())
        gaps.append(f"no {scenario.name} episodes (the dataset has {have})")
    if scenario.layout not in contents["layouts"]:
        gaps.append(f"no {scenario.layout} layout episodes (the dataset has "
                    f"{', '.join(contents['layouts'])})")
    for key, label, declared in (("obstacles", "obstacle counts", scenario.obstacle_count),
                                 ("pedestrians", "pedestrian counts", scenario.pedestrian_count)):
        lo, hi = contents[key]
        want_lo, want_hi = declared
        if want_lo < lo or want_hi > hi:
            gaps.append(f"{label} {lo}-{hi} against {want_lo}-{want_hi}")
    lo, hi = contents["start_goal_distance"]
    want_lo, want_hi = scenario.goal_distance
    slack = COVERAGE_TOLERANCE * (want_hi - want_lo)
    if lo > want_lo + slack or hi < want_hi - slack:
        gaps.append(f"start-goal distances {lo:.1f}-{hi:.1f} m against "
                    f"{want_lo:.1f}-{want_hi:.1f} m")
    return gaps
