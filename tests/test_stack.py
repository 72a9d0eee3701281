"""The installed stack is the lock's, consistent, and imitation's BC trains the policy (issue 21).

imitation 1.0.1 (its latest release) still declares ``stable-baselines3~=2.2.1`` and
``gymnasium~=0.29``; the Makefile installs it with ``--no-deps`` on the current stack, and the
project's own requirements list what its BC imports. These tests prove what that takes on trust:
the only inconsistencies pip reports are imitation's stale declarations, every installed package
of the lock is at its locked version, and behaviour cloning really runs through
``imitation.algorithms.bc.BC`` and changes the SB3 policy that PPO fine-tunes.
"""

from __future__ import annotations

import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest
import torch

ROOT = Path(__file__).parents[1]
LOCK = ROOT / "constraints.txt"


def _locked() -> dict[str, str]:
    out = {}
    for line in LOCK.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            out[re.sub(r"[-_.]+", "-", name).lower()] = version
    return out


def test_the_current_stack_is_installed():
    major = {name: int(metadata.version(name).split(".")[0]) for name in ("numpy", "gymnasium")}
    assert major == {"numpy": 2, "gymnasium": 1}, major
    sb3 = tuple(int(x) for x in metadata.version("stable-baselines3").split(".")[:2])
    assert sb3 >= (2, 9), sb3
    assert metadata.version("imitation") == "1.0.1"


def test_every_installed_package_of_the_lock_has_its_locked_version():
    locked = _locked()
    assert {"numpy", "gymnasium", "stable-baselines3", "imitation", "minari", "torch"} <= set(
        locked)
    wrong = {}
    for dist in metadata.distributions():
        name = re.sub(r"[-_.]+", "-", dist.metadata["Name"]).lower()
        if name in locked and dist.version.split("+")[0] != locked[name]:
            wrong[name] = (dist.version, locked[name])
    assert not wrong, f"installed versions differ from {LOCK.name}: {wrong}"


def test_pip_check_finds_nothing_but_imitations_stale_declarations():
    check = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True,
                           text=True, timeout=120)
    lines = [x for x in check.stdout.splitlines() if x.strip()]
    others = [x for x in lines if not x.startswith("imitation 1.0.1 ")]
    assert not others, "\n".join(others)


def test_behaviour_cloning_is_imitations_and_trains_the_ppo_policy(tmp_path, monkeypatch):
    """A spy on ``imitation.algorithms.bc.BC.train``: the harness's BC calls it, on the very
    policy object PPO then fine-tunes, and that policy's parameters move."""
    from imitation.algorithms import bc as imitation_bc

    from harness.spec.ppo import PPOConfig
    from harness.spec.scenarios import load_scenario
    from harness.stages.pretraining.config import BCConfig
    from harness.stages.pretraining.recipe import actor_parameters, load_demonstrations, train_bc
    from harness.train import RunSeeds, build_ppo
    from tests.dataset_helpers import make_dataset

    calls = []
    real = imitation_bc.BC.train

    def spy(self, *args, **kwargs):
        calls.append(self)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(imitation_bc.BC, "train", spy)
    folder = tmp_path / "ds"
    make_dataset(folder, 6, scenarios=("open",))
    cfg = PPOConfig(n_envs=4, n_steps=32, batch_size=64, n_epochs=1)
    model = build_ppo(cfg, load_scenario("open"),
                      RunSeeds.of("comparison_training", "pretrained", 0), None)
    before = [p.detach().clone() for p in actor_parameters(model.policy)]
    demos = load_demonstrations(folder, cfg.gamma, 0.2, seed=0)
    train_bc(model, demos, BCConfig(epochs=2, batch_size=64), 0, tmp_path / "bc")
    assert len(calls) == 1 and isinstance(calls[0], imitation_bc.BC)
    assert calls[0].policy is model.policy  # imitation trained PPO's own policy object
    assert any(not torch.equal(a, b) for a, b in zip(before, actor_parameters(model.policy),
                                                      strict=True))
    obs = np.asarray(demos.val_obs[:4], dtype=np.float32)
    actions, _ = model.predict(obs, deterministic=True)
    assert np.isfinite(actions).all()


@pytest.mark.parametrize("module", ["sacred", "optuna", "datasets", "seals", "sklearn"])
def test_imitations_unused_dependencies_are_not_needed(module):
    """What imitation declares but its BC never imports stays out of the default install."""
    import imitation.algorithms.bc  # noqa: F401

    assert module not in sys.modules
