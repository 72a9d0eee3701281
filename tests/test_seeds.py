"""The episode-seed plan (DESIGN.md section 4): purposes disjoint, runs independent.

Audit findings 3 and 4: ``PPO(seed=s)`` reseeded every run of seed ``s`` onto the same episode
streams and network initialisation, and the pre-training evaluations reused the expert's
selection episodes.
"""

import pytest
import torch
from stable_baselines3 import PPO

from harness import seeds as plan
from harness.nav.vec_env import NavVecEnv
from harness.spec.loader import load_study
from harness.spec.ppo import PPOConfig
from harness.spec.scenarios import load_scenario
from harness.spec.seed_plan import study_ranges as planned
from harness.train import RunSeeds, build_ppo

CFG = PPOConfig(n_envs=8, n_steps=32, batch_size=128, n_epochs=1)


def study_ranges(study) -> list[tuple[str, plan.SeedRange]]:
    """Every range the spec reserves, labelled by purpose and run."""
    return [(r.label, r.range) for r in planned(study)]


@pytest.mark.parametrize("profile", ["smoke", "full", "sizes", "research"])
def test_every_purpose_and_every_run_has_its_own_episode_seeds(profile):
    study = load_study(profile)
    ranges = study_ranges(study)
    assert plan.disjoint_pairs(ranges) == []
    purposes = {r.purpose for _, r in ranges}
    unused = {"audit_eval"} | (set() if study.regimes and study.regimes.demonstrators
                               else {"demonstrator_eval"})
    assert purposes == set(plan.PURPOSES) - unused
    assert all(0 <= r.start < r.stop <= 2**32 for _, r in ranges)  # every seed below 2**32


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
    with pytest.raises(ValueError, match="unknown seed stream"):  # streams have their purpose
        plan.training_block("expert_training", "baseline", 0)
    with pytest.raises(ValueError, match="outside"):
        plan.training_block("expert_training", "expert", plan.MAX_RUN_SEED)
    with pytest.raises(ValueError, match="2\\*\\*32"):
        plan.SeedRange("audit_eval", 2**32 - 1, 2**32 + 1)
    assert len({plan.init_seed("comparison_training", a, s) for a in ("baseline", "naive")
                for s in range(plan.MAX_RUN_SEED)}) == 2 * plan.MAX_RUN_SEED


def test_the_layout_fits_32_bits_and_its_regions_are_disjoint():
    regions = sorted(plan.LAYOUT.items(), key=lambda kv: kv[1].start)
    assert [name for name, _ in regions][:2] == ["expert_training", "comparison_training"]
    assert set(plan.LAYOUT) == set(plan.PURPOSES)
    for (_, a), (_, b) in zip(regions, regions[1:], strict=False):
        assert a.stop <= b.start
    assert regions[-1][1].stop <= plan.SEED_LIMIT == 2**32
    for name, region in plan.LAYOUT.items():
        if region.block:  # the last block of the last stream and seed lies inside the region
            slots = plan.STREAM_SLOTS if name in plan.SIZED_PURPOSES else len(region.streams)
            assert slots * plan.MAX_RUN_SEED * region.block <= region.span, name
            last = region.streams[-1]
            block = plan.training_block(name, last, plan.MAX_RUN_SEED - 1)
            assert block.stop <= region.stop
    # the capacities the README states
    assert plan.block_size("expert_training") == 2**25
    assert plan.block_size("comparison_training") == 2**20
    assert plan.block_size("dataset_recording") == 2**14


def test_sized_streams_are_disjoint_from_every_named_stream_and_each_other():
    region = plan.LAYOUT["comparison_training"]
    assert plan.SIZED_BASE >= len(region.streams)
    assert plan.SIZED_BASE + len(plan.SIZABLE) * plan.MAX_SIZES <= plan.STREAM_SLOTS
    named = [(f"{s}/{k}", plan.training_block("comparison_training", s, k))
             for s in region.streams for k in (0, plan.MAX_RUN_SEED - 1)]
    sized = [(f"{s}@{i}/{k}", plan.training_block("comparison_training",
                                                 plan.sized_stream(s, i), k))
             for s in plan.SIZABLE for i in (0, 1, plan.MAX_SIZES - 1)
             for k in (0, plan.MAX_RUN_SEED - 1)]
    assert plan.disjoint_pairs(named + sized) == []
    last = plan.training_block("comparison_training", plan.sized_stream(plan.SIZABLE[-1],
                                                                        plan.MAX_SIZES - 1),
                               plan.MAX_RUN_SEED - 1)
    assert last.stop <= region.stop
    with pytest.raises(ValueError, match="outside"):
        plan.sized_stream("pretrained", plan.MAX_SIZES)
    for other in set(region.streams) - set(plan.SIZABLE):
        with pytest.raises(ValueError, match="no sized variants"):
            plan.sized_stream(other, 0)
    with pytest.raises(ValueError, match="unknown seed stream"):
        plan.training_block("comparison_training", "pretrained/sizeX", 0)
