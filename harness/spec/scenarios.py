"""Load scenario families from ``specs/scenarios/*.yaml`` into frozen :class:`Scenario` objects."""

from __future__ import annotations

import functools
from pathlib import Path

import yaml

from harness.core.paths import specs_dir
from harness.nav.scenario import (
    LAYOUTS,
    POTENTIALS,
    LidarParams,
    ObservationParams,
    PedestrianParams,
    RewardWeights,
    RobotParams,
    Scenario,
)
from harness.spec.errors import Fields, SpecError


def scenario_dir() -> Path:
    return specs_dir() / "scenarios"


def read_yaml(path: Path) -> object:
    """Parse a spec file strictly: a syntax error names its line and column, and a key given
    twice in one mapping is an error (YAML would let the last one silently win)."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        raise SpecError(path, "<file>", "an existing YAML file", "missing") from None
    try:
        _reject_duplicates(path, yaml.compose(text, Loader=yaml.SafeLoader))
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = exc.problem or exc.context or "unparsable"
        raise SpecError(path, "<file>", "valid YAML", f"{problem}{where}") from None
    except yaml.YAMLError as exc:
        raise SpecError(path, "<file>", "valid YAML", str(exc).splitlines()[0]) from None


def _reject_duplicates(path: Path, node: yaml.Node | None, prefix: str = "") -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, yaml.Mark] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            dotted = f"{prefix}.{key}" if prefix else key
            mark = key_node.start_mark
            if key in seen:
                raise SpecError(path, dotted, f"each key once per mapping (first given at line "
                                f"{seen[key].line + 1})", f"'{key}' again at line {mark.line + 1}, "
                                f"column {mark.column + 1}")
            seen[key] = mark
            _reject_duplicates(path, value_node, dotted)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _reject_duplicates(path, item, f"{prefix}[{i}]")


def parse_scenario(data: object, file: str | Path) -> Scenario:
    """Validate one scenario mapping; every error names ``file`` and the offending field."""
    f = Fields(data, file)
    name = f.string("name")
    arena = f.sub("arena", required=True)
    width = arena.number("width", lo=2.0, hi=100.0)
    height = arena.number("height", lo=2.0, hi=100.0)
    arena.done()
    layout = f.sub("layout")
    kind = layout.string("kind", "open", choices=LAYOUTS)
    layout_width = layout.number("width", 2.0, lo=0.6, hi=min(width, height))
    layout.done()
    obstacles = f.sub("obstacles")
    ob_count = obstacles.range("count", [0, 0], lo=0, hi=64, integer=True)
    ob_radius = obstacles.range("radius", [0.2, 0.5], lo=0.05, hi=3.0)
    obstacles.done()
    peds = f.sub("pedestrians")
    ped_count = peds.range("count", [0, 0], lo=0, hi=64, integer=True)
    ped_speed = peds.range("speed", [0.5, 1.0], lo=0.0, hi=3.0)
    ped_radius = peds.number("radius", 0.25, lo=0.05, hi=1.0)
    pd = PedestrianParams()
    walking = PedestrianParams(
        tau=peds.number("tau", pd.tau, lo=0.01, hi=10.0),
        pedestrian_strength=peds.number("pedestrian_strength", pd.pedestrian_strength, lo=0.0,
                                        hi=100.0),
        pedestrian_range=peds.number("pedestrian_range", pd.pedestrian_range, lo=0.01, hi=10.0),
        robot_strength=peds.number("robot_strength", pd.robot_strength, lo=0.0, hi=100.0),
        robot_range=peds.number("robot_range", pd.robot_range, lo=0.01, hi=10.0),
        wall_strength=peds.number("wall_strength", pd.wall_strength, lo=0.0, hi=100.0),
        wall_range=peds.number("wall_range", pd.wall_range, lo=0.01, hi=10.0),
        max_speed_factor=peds.number("max_speed_factor", pd.max_speed_factor, lo=1.0, hi=5.0),
        goal_tolerance=peds.number("goal_tolerance", pd.goal_tolerance, lo=0.01, hi=5.0),
    )
    peds.done()
    obs_f = f.sub("observation")
    observation = ObservationParams(
        waypoint=obs_f.boolean("waypoint", ObservationParams().waypoint))
    obs_f.done()
    robot_f = f.sub("robot")
    d = RobotParams()
    robot = RobotParams(
        radius=robot_f.number("radius", d.radius, lo=0.05, hi=1.0),
        max_speed=robot_f.number("max_speed", d.max_speed, lo=0.1, hi=5.0),
        max_angular=robot_f.number("max_angular", d.max_angular, lo=0.1, hi=10.0),
        max_accel=robot_f.number("max_accel", d.max_accel, lo=0.1, hi=50.0),
        max_angular_accel=robot_f.number("max_angular_accel", d.max_angular_accel, lo=0.1,
                                         hi=100.0),
    )
    robot_f.done()
    lidar_f = f.sub("lidar")
    lidar = LidarParams(rays=lidar_f.integer("rays", 32, lo=4, hi=360),
                        range=lidar_f.number("range", 5.0, lo=0.5, hi=100.0),
                        history=lidar_f.integer("history", 1, lo=1, hi=16))
    lidar_f.done()
    reward_f = f.sub("reward")
    r = RewardWeights()
    reward = RewardWeights(
        progress=reward_f.number("progress", r.progress, lo=0.0),
        potential=reward_f.string("potential", r.potential, choices=POTENTIALS),
        success=reward_f.number("success", r.success, lo=0.0),
        collision=reward_f.number("collision", r.collision, hi=0.0),
        time=reward_f.number("time", r.time, hi=0.0),
        proximity=reward_f.number("proximity", r.proximity, lo=0.0),
        margin=reward_f.number("margin", r.margin, lo=0.01, hi=5.0),
        passage_margin=reward_f.number("passage_margin", r.passage_margin, lo=0.0, hi=5.0),
    )
    reward_f.done()
    goal_distance = f.range("goal_distance", [3.0, 8.0], lo=0.5)
    if goal_distance[1] > (width**2 + height**2) ** 0.5:
        raise f.error("goal_distance", "a range that fits inside the arena diagonal",
                      list(goal_distance))
    scenario = Scenario(
        name=name,
        difficulty=f.integer("difficulty", lo=0, hi=100),
        description=f.string("description", ""),
        arena=(width, height),
        episode_steps=f.integer("episode_steps", 250, lo=10, hi=100_000),
        dt=f.number("dt", 0.1, lo=0.01, hi=1.0),
        goal_distance=goal_distance,
        goal_radius=f.number("goal_radius", 0.3, lo=0.05, hi=5.0),
        layout=kind,
        layout_width=layout_width,
        obstacle_count=ob_count,
        obstacle_radius=ob_radius,
        pedestrian_count=ped_count,
        pedestrian_speed=ped_speed,
        pedestrian_radius=ped_radius,
        robot=robot,
        lidar=lidar,
        reward=reward,
        pedestrians=walking,
        observation=observation,
    )
    f.done()
    return scenario


def load_scenario_file(path: str | Path) -> Scenario:
    path = Path(path)
    scenario = parse_scenario(read_yaml(path), path)
    if scenario.name != path.stem:
        raise SpecError(path, "name", f"the file's stem '{path.stem}'", scenario.name)
    return scenario


@functools.cache
def _load_all(directory: str) -> dict[str, Scenario]:
    files = sorted(Path(directory).glob("*.yaml"))
    if not files:
        raise SpecError(directory, "<directory>", "at least one scenario *.yaml file", "none")
    out = {}
    for path in files:
        scenario = load_scenario_file(path)
        out[scenario.name] = scenario
    return out


def load_scenarios(directory: str | Path | None = None) -> dict[str, Scenario]:
    """All scenario families, keyed by name, ordered by difficulty."""
    found = _load_all(str(directory or scenario_dir()))
    return dict(sorted(found.items(), key=lambda kv: (kv[1].difficulty, kv[0])))


def load_scenario(name: str, directory: str | Path | None = None) -> Scenario:
    scenarios = load_scenarios(directory)
    if name not in scenarios:
        raise SpecError(Path(directory or scenario_dir()) / f"{name}.yaml", "name",
                        f"one of the declared scenarios {list(scenarios)}", name)
    return scenarios[name]
