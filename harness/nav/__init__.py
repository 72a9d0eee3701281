"""2D robot-navigation simulator: batched numpy core, a Gymnasium face and an SB3 VecEnv face.

Importing this package registers ``harness/Nav-v0`` (keyword ``scenario``, default ``open``) and
one id per scenario file, e.g. ``harness/Nav-crowd-v0``.
"""

from gymnasium.envs.registration import register, registry

from harness.nav.scenario import LidarParams, RewardWeights, RobotParams, Scenario
from harness.paths import specs_dir

ENV_ID = "harness/Nav-v0"


def env_id(scenario: str) -> str:
    return f"harness/Nav-{scenario}-v0"


def _register() -> None:
    if ENV_ID not in registry:
        register(id=ENV_ID, entry_point="harness.nav.env:NavEnv")
    for path in sorted((specs_dir() / "scenarios").glob("*.yaml")):
        if env_id(path.stem) not in registry:
            register(id=env_id(path.stem), entry_point="harness.nav.env:NavEnv",
                     kwargs={"scenario": path.stem})


_register()

__all__ = ["ENV_ID", "LidarParams", "RewardWeights", "RobotParams", "Scenario", "env_id"]
