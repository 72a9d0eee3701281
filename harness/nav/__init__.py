"""2D robot-navigation simulator: batched numpy core, a Gymnasium face and an SB3 VecEnv face.

Modules: ``scenario`` (frozen parameters, gymnax's EnvParams), ``state`` (NavState, the EnvState),
``dynamics`` (``step_env`` and the pure helpers it calls), ``kernels`` / ``geometry`` (compiled
inner loops), ``generator`` (episode sampling), ``observation`` and ``outcomes`` (layouts and
codes), ``core`` (NavBatch), ``env`` / ``vec_env`` (the Gymnasium and SB3 faces), ``render``.

Importing this package registers ``harness/Nav-v0`` (keyword ``scenario``, default ``open``) and
one id per scenario file, e.g. ``harness/Nav-crowd-v0``: this is the one place where importing
the simulator touches ``specs/`` (it lists the file names; no YAML is read until an env is made).
Each scenario mix file (``specs/mixes/*.yaml``) gets one id too, e.g. ``harness/NavMix-all-v0``.
"""

from gymnasium.envs.registration import register, registry

from harness.core.paths import specs_dir
from harness.nav.mix import ScenarioMix
from harness.nav.scenario import LidarParams, RewardWeights, RobotParams, Scenario

ENV_ID = "harness/Nav-v0"


def env_id(scenario: str) -> str:
    return f"harness/Nav-{scenario}-v0"


def mix_env_id(mix: str) -> str:
    return f"harness/NavMix-{mix}-v0"


def _register() -> None:
    if ENV_ID not in registry:
        register(id=ENV_ID, entry_point="harness.nav.env:NavEnv")
    for path in sorted((specs_dir() / "scenarios").glob("*.yaml")):
        if env_id(path.stem) not in registry:
            register(id=env_id(path.stem), entry_point="harness.nav.env:NavEnv",
                     kwargs={"scenario": path.stem})
    for path in sorted((specs_dir() / "mixes").glob("*.yaml")):
        if mix_env_id(path.stem) not in registry:
            register(id=mix_env_id(path.stem), entry_point="harness.nav.env:NavEnv",
                     kwargs={"mix": path.stem})


_register()

__all__ = ["ENV_ID", "LidarParams", "RewardWeights", "RobotParams", "Scenario", "ScenarioMix",
           "env_id", "mix_env_id"]
