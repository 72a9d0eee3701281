"""A killed training build resumes from its last evaluation instead of from step 0 (issue 14).

Resumption is approximate (SB3 saves neither the rollout in progress nor the RNG states): the
manifest says so, the evaluations before the resume point are the uninterrupted run's exactly,
and the run still plays only its own block of episode seeds.
"""

import json

import pytest
from stable_baselines3.common.callbacks import BaseCallback

from harness.core.store import Build, Store
from harness.spec.common import EvalSchedule, Thresholds
from harness.spec.ppo import PPOConfig
from harness.spec.scenarios import load_scenario
from harness.train import RESUME_NOTE, RunSeeds, Target, build_ppo, train_run

CFG = PPOConfig(n_envs=8, n_steps=32, batch_size=128, n_epochs=1)
SCHEDULE = EvalSchedule(every=512, episodes=6, purpose="expert_periodic_eval", n_envs=8)
BUDGET = 2048
SEEDS = RunSeeds.of("expert_training", "expert", 9)


class Kill(BaseCallback):
    """Dies like a killed worker once training passes ``at`` steps."""

    def __init__(self, at: int):
        super().__init__()
        self.at = at

    def _on_step(self) -> bool:
        if self.num_timesteps > self.at:
            raise KeyboardInterrupt("killed")
        return True


def build_run(store: Store, kill_at: int | None = None):
    def build(b: Build) -> None:
        model = build_ppo(CFG, load_scenario("open"), SEEDS, None)
        result = train_run(model, load_scenario("open"), BUDGET, SCHEDULE,
                           Target(Thresholds(0.9, 0.05), 2, early_stop=False), b.dir, SEEDS,
                           callbacks=[Kill(kill_at)] if kill_at else [],
                           resume_dir=b.resume_dir)
        b.metrics = {"timesteps": result.timesteps}
        b.extra = {"resumption": result.resumption(), "episode_seeds": result.episode_seeds}

    return store.get_or_build("expert_run", {"stage": "resume-test"}, [9], build)


@pytest.mark.training
def test_a_killed_run_resumes_from_its_last_evaluation(tmp_path):
    store = Store(tmp_path / "killed")
    with pytest.raises(KeyboardInterrupt):
        build_run(store, kill_at=1100)  # after the evaluations at 0, 512 and 1024
    assert not store.list("expert_run")  # nothing that looks complete
    resumed = build_run(store)
    assert resumed.manifest["resumption"] == {"resumed_from_step": 1024, "exact": False,
                                              "note": RESUME_NOTE}
    assert resumed.metrics["timesteps"] >= BUDGET
    assert not (store.root / ".resume" / resumed.id).exists()  # published: no resume point

    straight = build_run(Store(tmp_path / "straight"))
    assert straight.manifest["resumption"] is None
    a = json.loads(resumed.file("learning_curve.json").read_text())
    b = json.loads(straight.file("learning_curve.json").read_text())
    assert [r["timesteps"] for r in a] == [r["timesteps"] for r in b] == [0, 512, 1024, 1536,
                                                                           2048]
    strip = [{k: v for k, v in r.items() if k != "wall_seconds"} for r in a[:3]]
    assert strip == [{k: v for k, v in r.items() if k != "wall_seconds"} for r in b[:3]]
    # the resumed run continued its own streams: still inside its block, past the first part
    played = resumed.manifest["episode_seeds"]["training"]
    assert played["start"] == SEEDS.block.start
    assert played["stop"] >= straight.manifest["episode_seeds"]["training"]["stop"]  # no replay
