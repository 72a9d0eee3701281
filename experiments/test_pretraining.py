"""User story 3 / SC-003: BC pre-training + fine-tuning reaches the target in far fewer online
steps than PPO from scratch, on matched seeds, without unlearning or final regression."""



def test_arm_run(pretrain_pipeline, arm_seed, criteria):
    """Each (arm, seed) run, the shift experiment's included: the configured hyperparameters
    are in effect; a pre-trained arm learnt something from BC (validation NLL fell) on the
    dataset's observation contract."""
    arm, seed = arm_seed
    if arm == "shifted":  # the shift experiment: BC on the shifted dataset, same recipe
        run = pretrain_pipeline.shifted_run(seed)
    else:
        run = pretrain_pipeline.run(arm, seed)
    criteria.artifact(run.id)
    got = run.manifest["hyperparameters_in_effect"]
    for key, want in pretrain_pipeline.ppo.as_dict().items():
        if key != "log_std_init":
            assert got[key] == want, key
    assert run.metrics["timesteps"] >= pretrain_pipeline.spec.budget
    if arm != "baseline":
        curve = run.metrics["bc_curve"]
        assert curve[-1]["val_nll"] < curve[0]["val_nll"], curve


def test_sample_efficiency(pretrain_pipeline, criteria):
    cmp = pretrain_pipeline.comparison()
    criteria.artifact(cmp.id)
    spec = pretrain_pipeline.spec
    row = cmp.metrics["arms"]["pretrained"]
    lo, hi = row["ratio_ci"]
    ok = criteria.record(
        "SC-003", "sample efficiency: IQM(T pre-trained) / IQM(T baseline), matched seeds",
        row["ratio"] <= spec.ratio_max and hi < 1.0, measured=f"{row['ratio']:.3f}",
        interval=f"[{lo:.3f}, {hi:.3f}]", threshold=f"<= {spec.ratio_max}, upper bound < 1",
        artifact=cmp.id, detail=f"{len(row['seeds'])} seeds; censored: pre-trained "
        f"{sum(row['censored'])}, baseline {cmp.metrics['baseline_censored']}; P(improvement) "
        f"{row['probability_of_improvement']:.2f}; online steps only (dataset "
        f"{cmp.metrics['dataset_steps']:,} steps, expert training "
        f"{sum(cmp.metrics['expert_training_steps'].values()):,} steps reported beside)")
    assert ok, row


def test_no_final_regression(pretrain_pipeline, criteria):
    cmp = pretrain_pipeline.comparison()
    spec = pretrain_pipeline.spec
    pre = cmp.metrics["arms"]["pretrained"]["final_success_mean_ci"]
    base = cmp.metrics["arms"]["baseline"]["final_success_mean_ci"]
    ok = criteria.record(
        "SC-003f", "no final-performance regression: pre-trained final success vs baseline",
        pre[0] >= base[0] - spec.final_margin, measured=f"{pre[0]:.3f} vs {base[0]:.3f}",
        interval=f"[{pre[1]:.3f}, {pre[2]:.3f}] vs [{base[1]:.3f}, {base[2]:.3f}]",
        threshold=f">= baseline - {spec.final_margin}", artifact=cmp.id)
    assert ok


def test_no_unlearning(pretrain_pipeline, pretrain_seed, criteria):
    cmp = pretrain_pipeline.comparison()
    spec = pretrain_pipeline.spec
    row = cmp.metrics["arms"]["pretrained"]
    i = row["seeds"].index(pretrain_seed)
    drop = row["unlearning_drop"][i]
    ok = criteria.record(
        "SC-003u", f"no unlearning, seed {pretrain_seed}: success drop in the first "
        f"{spec.unlearning_evals} fine-tuning evaluations below the BC policy",
        drop <= spec.unlearning_margin, measured=f"{drop:+.3f}",
        threshold=f"<= {spec.unlearning_margin}", artifact=row["run_ids"][i])
    assert ok


def test_ablation_is_matched_and_reported(pretrain_pipeline):
    """The naive BC -> PPO ablation runs on the same seeds and gets the same statistics."""
    cmp = pretrain_pipeline.comparison()
    arms = cmp.metrics["arms"]
    for name in (a.name for a in pretrain_pipeline.spec.arms if a.name != "baseline"):
        assert arms[name]["seeds"] == arms["baseline"]["seeds"]
        assert arms[name]["ratio"] == arms[name]["ratio"]  # not NaN
        assert len(arms[name]["unlearning_drop"]) == len(arms[name]["seeds"])


def test_distribution_shift(pretrain_pipeline, criteria):
    shift = pretrain_pipeline.shift()
    criteria.artifact(shift.id)
    m = shift.metrics
    assert m["coverage_gaps"]["shifted"], "the shift experiment's dataset covers the " \
                                          "fine-tuning scenario: it is not a shift"
    assert not m["coverage_gaps"]["matched"], m["coverage_gaps"]["matched"]
    names = [f"{r['policy']} on {r['scenario']} ({r['success']:.2f} vs baseline "
             f"{r['reference_success']:.2f})" for r in m["regressions"]]
    ok = criteria.record(
        "SHIFT", "no regression beyond the margin from dataset/fine-tuning distribution shift "
        "(fine-tuned policies vs baseline, every evaluated family)", not m["regressions"],
        measured=f"{len(m['regressions'])} regressions", threshold=f"drop <= {m['margin']}",
        artifact=shift.id, detail="; ".join(names))
    assert ok, names
