"""Scenario files: the shipped ones load; a bad one names the file, field and expectation."""

from dataclasses import asdict

import pytest
import yaml

from harness.nav.scenario import PedestrianParams, scenario_from_dict
from harness.spec.errors import SpecError
from harness.spec.scenarios import load_scenario_file, load_scenarios, scenario_dir

GOOD = yaml.safe_load((scenario_dir() / "crowd.yaml").read_text())


def write(tmp_path, data, name="crowd"):
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_shipped_scenarios_load_in_difficulty_order():
    scenarios = load_scenarios()
    assert list(scenarios)[0] == "open"
    diffs = [s.difficulty for s in scenarios.values()]
    assert diffs == sorted(diffs)


@pytest.mark.parametrize("mutate, field, expected", [
    (lambda d: d.update(layout={"kind": "maze"}), "layout.kind", "one of ['open', 'corridor'"),
    (lambda d: d["pedestrians"].update(count=[5, 2]), "pedestrians.count", "low <= high"),
    (lambda d: d["pedestrians"].update(speed="fast"), "pedestrians.speed", "[low, high]"),
    (lambda d: d.update(episode_steps=2.5), "episode_steps", "an integer"),
    (lambda d: d.update(episode_steps=0), "episode_steps", "in [10, 100000]"),
    (lambda d: d["arena"].update(width=-1), "arena.width", "in [2.0, 100.0]"),
    (lambda d: d["reward"].update(collision=5.0), "reward.collision", "<= 0"),
    (lambda d: d.update(obstacle=3), "obstacle", "known fields"),
    (lambda d: d.pop("difficulty"), "difficulty", "required"),
    (lambda d: d.update(name="other"), "name", "the file's stem 'crowd'"),
    (lambda d: d.update(goal_distance=[3, 40]), "goal_distance", "arena diagonal"),
    (lambda d: d["pedestrians"].update(tau=0), "pedestrians.tau", "in [0.01, 10.0]"),
    (lambda d: d["pedestrians"].update(max_speed_factor=0.5), "pedestrians.max_speed_factor",
     "in [1.0, 5.0]"),
    (lambda d: d["pedestrians"].update(strength=2.0), "pedestrians.strength", "known fields"),
    (lambda d: d["reward"].update(potential="manhattan"), "reward.potential",
     "one of ['euclidean', 'geodesic']"),
    (lambda d: d["reward"].update(passage_margin=-0.1), "reward.passage_margin",
     "in [0.0, 5.0]"),
    (lambda d: d.update(lidar={"history": 0}), "lidar.history", "in [1, 16]"),
    (lambda d: d.update(observation={"waypoint": "yes"}), "observation.waypoint",
     "true or false"),
    (lambda d: d.update(observation={"goal": True}), "observation.goal", "known fields"),
])
def test_bad_scenario_names_file_field_and_expectation(tmp_path, mutate, field, expected):
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    mutate(data)
    path = write(tmp_path, data)
    with pytest.raises(SpecError) as err:
        load_scenario_file(path)
    assert err.value.field == field
    assert str(path) in str(err.value)
    assert expected in str(err.value)


def test_unparseable_yaml_names_the_file(tmp_path):
    path = tmp_path / "crowd.yaml"
    path.write_text("name: [unclosed\n")
    with pytest.raises(SpecError, match="crowd.yaml.*valid YAML"):
        load_scenario_file(path)


def test_pedestrian_behaviour_is_scenario_data_with_the_model_defaults(tmp_path):
    assert load_scenarios()["crowd"].pedestrians == PedestrianParams()
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    data["pedestrians"].update(tau=0.8, robot_range=0.6)
    walking = load_scenario_file(write(tmp_path, data)).pedestrians
    assert (walking.tau, walking.robot_range) == (0.8, 0.6)
    assert walking.wall_strength == PedestrianParams().wall_strength


def test_a_recorded_scenario_rebuilds_equal_and_old_records_get_defaults():
    for scenario in load_scenarios().values():
        record = yaml.safe_load(yaml.safe_dump(asdict(scenario)))  # tuples become lists
        assert scenario_from_dict(record) == scenario
        record.pop("pedestrians")  # written before pedestrian behaviour was scenario data
        assert scenario_from_dict(record) == scenario
    with pytest.raises(ValueError, match="unknown fields"):
        scenario_from_dict({**asdict(scenario), "typo": 1})
