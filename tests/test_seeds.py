"""The episode-seed plan (DESIGN.md section 4): purposes disjoint, runs independent.

Audit findings 3 and 4: ``PPO(seed=s)`` reseeded every run of seed ``s`` onto the same episode
streams and network initialisation, and the pre-training evaluations reused the expert's
selection episodes.
"""

import numpy as np
import pytest
import torch
from stable_baselines3 import PPO

from harness import seeds as plan
from harness.nav.vec_env import NavVecEnv
from harness.spec.ppo import PPOConfig
from harness.spec.scenarios import load_scenario
from harness.spec.study import load_study
from harness.train import RunSeeds, build_ppo

CFG = PPOConfig(n_envs=8, n_steps=32, batch_size=128, n_epochs=1)


def study_ranges(study) -> list[tuple[str, plan.SeedRange]]:
    """Every range the spec reserves, labelled by purpose and run."""
    e, p, sh = study.expert, study.pretraining, study.shift
    out = [(f"expert seed {s}", plan.training_block("expert_training", "expert", s))
           for s in e.seeds]
    out += [(f"{a.name} seed {s}", plan.training_block("comparison_training", a.name, s))
            for a in p.arms for s in p.seeds]
    out += [(f"{a.name} seed {s}", plan.training_block("comparison_training", a.name, s))
            for a in sh.arms for s in sh.seeds]
    if p.sizes is not None:  # the size study: every pre-trained arm at every size and seed
        for n in p.sizes.sizes:
            for a in p.arms:
                if a.pretrained:
                    arm = p.sized_arm(a.name, n)
                    out += [(f"{arm.name} seed {s}", plan.training_block(
                        "comparison_training", arm.seed_stream, s)) for s in p.sizes.seeds]
    out += [("dataset", study.dataset.seed_range()),
            ("shifted dataset", plan.recording_seeds("shift_dataset", sh.episodes_per_dataset)),
            ("matched dataset", plan.recording_seeds("shift_matched_dataset",
                                                     sh.episodes_per_dataset)),
            ("expert periodic", e.eval.span(e.budget)), ("expert final", e.final_set()),
            ("comparison periodic", p.eval.span(p.budget)), ("comparison final", p.final_set()),
            ("shift eval", sh.span(len(p.eval.grid(sh.budget))))]
    return out


@pytest.mark.parametrize("profile", ["smoke", "full", "sizes"])
def test_every_purpose_and_every_run_has_its_own_episode_seeds(profile):
    ranges = study_ranges(load_study(profile))
    assert plan.disjoint_pairs(ranges) == []
    purposes = {r.purpose for _, r in ranges}
    assert purposes == set(plan.PURPOSES) - {"audit_eval"}


def test_consecutive_evaluations_play_disjoint_episode_sets():
    sched = load_study("full").pretraining.eval
    sets = [sched.episode_set(i) for i in range(len(sched.grid(750_000)))]
    assert plan.disjoint_pairs([(str(i), s) for i, s in enumerate(sets)]) == []
    assert sets[1].start == sets[0].stop


def test_disjointness_check_finds_an_overlap():
    a = plan.SeedRange("shift_eval", 10, 20)
    b = plan.SeedRange("shift_eval", 19, 30)
    assert plan.disjoint_pairs([("a", a), ("b", b), ("c", plan.SeedRange("shift_eval", 30, 31))]
                               ) == [("a", "b")]


def test_a_run_trains_only_on_its_own_block_even_after_sb3_construction():
    seeds = RunSeeds.of("comparison_training", "baseline", 3)
    model = build_ppo(CFG, load_scenario("open"), seeds, None)
    model.learn(CFG.n_envs * CFG.n_steps * 2)
    start, stop = model.get_env().seeds_played()
    assert start == seeds.block.start and seeds.block.start < stop <= seeds.block.stop
    other = plan.training_block("comparison_training", "baseline", 4)
    assert not plan.SeedRange(seeds.block.purpose, start, stop).overlaps(other)


def test_reseeding_a_block_env_the_way_ppo_seed_does_is_refused():
    block = plan.training_block("expert_training", "expert", 0)
    env = NavVecEnv("open", 4, seed_block=(block.start, block.stop))
    with pytest.raises(RuntimeError, match="share streams"):
        PPO("MlpPolicy", env, seed=0, n_steps=32, batch_size=64, device="cpu")


def test_runs_of_the_same_seed_start_from_different_networks_and_streams():
    expert = build_ppo(CFG, load_scenario("open"), RunSeeds.of("expert_training", "expert", 0),
                       None)
    baseline = build_ppo(CFG, load_scenario("open"),
                         RunSeeds.of("comparison_training", "baseline", 0), None)
    a = torch.nn.utils.parameters_to_vector(expert.policy.parameters())
    b = torch.nn.utils.parameters_to_vector(baseline.policy.parameters())
    assert not torch.equal(a, b)
    again = build_ppo(CFG, load_scenario("open"), RunSeeds.of("expert_training", "expert", 0),
                      None)
    assert torch.equal(a, torch.nn.utils.parameters_to_vector(again.policy.parameters()))
    assert expert.get_env().reset().tolist() != baseline.get_env().reset().tolist()


def test_the_plan_rejects_unknown_streams_and_out_of_range_seeds():
    with pytest.raises(ValueError, match="unknown seed stream"):
        plan.training_block("comparison_training", "mystery", 0)
    with pytest.raises(ValueError, match="outside"):
        plan.training_block("expert_training", "expert", plan.MAX_RUN_SEED)
    assert len({plan.init_seed("comparison_training", a, s) for a in ("baseline", "naive")
                for s in range(50)}) == 100
    assert np.iinfo(np.int64).max > plan.purpose_base(plan.PURPOSES[-1]) + plan.PURPOSE_SPAN


def test_sized_streams_are_disjoint_from_every_named_stream_and_each_other():
    assert plan.SIZED_BASE > len(plan.STREAMS)
    assert plan.SIZED_BASE + len(plan.SIZABLE) * plan.MAX_SIZES <= plan.STREAM_SLOTS
    named = [(f"{s}/{k}", plan.training_block("comparison_training", s, k))
             for s in plan.STREAMS for k in (0, plan.MAX_RUN_SEED - 1)]
    sized = [(f"{s}@{i}/{k}", plan.training_block("comparison_training",
                                                 plan.sized_stream(s, i), k))
             for s in plan.SIZABLE for i in (0, 1, plan.MAX_SIZES - 1)
             for k in (0, plan.MAX_RUN_SEED - 1)]
    assert plan.disjoint_pairs(named + sized) == []
    last = plan.training_block("comparison_training", plan.sized_stream(plan.SIZABLE[-1],
                                                                        plan.MAX_SIZES - 1),
                               plan.MAX_RUN_SEED - 1)
    assert last.stop <= plan.purpose_base("comparison_training") + plan.PURPOSE_SPAN
    with pytest.raises(ValueError, match="size index 32"):
        plan.sized_stream("pretrained", plan.MAX_SIZES)
    for later in set(plan.STREAMS) - set(plan.SIZABLE):  # appended names are never sized
        with pytest.raises(ValueError, match="no sized variants"):
            plan.sized_stream(later, 0)
    with pytest.raises(ValueError, match="unknown seed stream 'pretrained/sizeX'"):
        plan.training_block("comparison_training", "pretrained/sizeX", 0)
