"""Recording throughput: a 200-episode dataset on one core (opt-in benchmark; goal < 30 s).

Uses the approved expert of the default store when there is one (real episode lengths);
otherwise an untrained PPO policy of the same architecture (same inference cost, longer
episodes: a pessimistic stand-in). The row says which.
"""

import tempfile
import time
from pathlib import Path

import pytest
import torch

from harness.core.benchmark import publish
from harness.core.paths import artifacts_dir
from harness.core.store import Store, git_state, now_iso
from harness.spec.loader import load_study
from harness.stages.dataset.record import collect, write_dataset
from harness.stages.dataset.validate import validate_dataset

pytestmark = pytest.mark.benchmark


def expert_policy(study):
    from harness.stages.expert.build import load_expert_policy
    from harness.train import RunSeeds, build_ppo

    if artifacts_dir().is_dir():
        approved = [a for a in Store(artifacts_dir()).list("expert") if a.status == "approved"
                    and a.manifest.get("scenario") == study.expert.scenario.name]
        if approved:
            return load_expert_policy(approved[-1]).policy, f"expert {approved[-1].id}"
    return build_ppo(study.expert.ppo, study.expert.scenario,
                     RunSeeds.of("expert_training", "expert", 0), None).policy, "untrained PPO"


def test_recording_throughput(capsys):
    torch.set_num_threads(1)
    study = load_study("full")
    spec = study.dataset
    policy, source = expert_policy(study)
    seeds = spec.seeds()
    start = time.perf_counter()
    episodes = collect(policy, spec.sources, seeds, spec.deterministic, spec.n_envs)
    collected = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        write_dataset(Path(tmp), "harness/bench-v0", episodes, list(spec.scenarios),
                      {"created": now_iso(), "seeds": seeds, "git": git_state(),
                       "expert": {"id": source}, "deterministic_actions": spec.deterministic},
                      mix=spec.mix)
        written = time.perf_counter() - start
        report = validate_dataset(Path(tmp), spec.min_episodes)
        validated = time.perf_counter() - start
    steps = sum(len(e.actions) for e in episodes)
    row = {"policy": source, "episodes": len(episodes), "steps": steps,
           "record s": collected, "record+write s": written, "+validate s": validated,
           "episodes/s": len(episodes) / collected, "steps/s": steps / collected}
    with capsys.disabled():
        publish("recording_throughput", [row])
    assert report.ok
