"""The report shows the values of the artefacts it cites, never the current spec's, and flags
artefacts built by another commit or from a dirty tree (audit finding 7)."""

import json
import re

from harness.core.paths import templates_dir
from harness.core.store import Artifact, Store
from harness.metrics import EvalSummary
from harness.report.render import provenance_flags
from harness.stages.expert.report import expert_answers, expert_section
from harness.stats import distribution


def _final(success: float, collision: float, n: int) -> dict:
    d = distribution([1.0, 2.0])
    return EvalSummary(episodes=n, success_rate=success, success_ci=[0.8, 1.0],
                       collision_rate=collision, collision_ci=[0.0, 0.1],
                       timeout_rate=1 - success - collision, timeout_ci=[0.0, 0.1],
                       successes=round(success * n), collisions=round(collision * n),
                       timeouts=0, collisions_by_kind={}, return_=d, length=d,
                       min_clearance=d).to_json()


def _point(step: int) -> dict:
    return {"timesteps": step, "wall_seconds": 1.0, "episode_seeds": [step, step + 17],
            "success_rate": 0.8, "success_ci": [0.7, 0.9], "collision_rate": 0.05,
            "collision_ci": [0.0, 0.1], "timeout_rate": 0.15,
            "return": distribution([1.0]).to_json(), "episode_length": 30.0}


def _expert_store(tmp_path) -> dict[str, Artifact]:
    """An expert whose gate (0.77 / 0.11, 321 episodes) differs from any spec in specs/."""
    store = Store(tmp_path / "artifacts")
    run_cfg = {"stage": "expert_run", "budget": 3000, "ppo": {"n_envs": 4},
               "eval": {"every": 1000, "episodes": 17},
               "convergence": {"success": 0.77, "collision": 0.11, "consecutive": 2}}
    runs = []
    for seed in (0, 1, 2):
        def build(b, seed=seed):
            curve = [_point(1000 * i) for i in range(4)]
            (b.dir / "learning_curve.json").write_text(json.dumps(curve))
            b.status = "converged"
            b.metrics = {"converged_at": 1000, "timesteps": 3000, "train_wall_seconds": 6.0,
                         "steps_per_second": 500.0, "final_eval": _final(0.9, 0.02, 321),
                         "last_periodic_eval": curve[-1]}
        runs.append(store.get_or_build("expert_run", run_cfg, [seed], build))
    gate = {"success": 0.77, "collision": 0.11, "min_seeds": 3, "final_episodes": 321}

    def build_expert(b):
        b.status = "approved"
        b.metrics = {"decision": {"status": "approved", "chosen_seed": 0, "diagnostics": [],
                                  "seeds": [{"seed": s, "episodes": 321, "success_rate": 0.9,
                                             "success_ci": [0.8, 1.0], "collision_rate": 0.02,
                                             "collision_ci": [0.0, 0.1], "timeout_rate": 0.08,
                                             "passed": True, "failures": []}
                                            for s in (0, 1, 2)]},
                     "converged_at": {"0": 1000, "1": 1000, "2": 1000},
                     "expert_training_steps": {"0": 3000, "1": 3000, "2": 3000}}
    expert = store.get_or_build("expert", {"stage": "expert", "promotion": gate}, [0, 1, 2],
                                build_expert, inputs=runs)
    return {a.id: a for a in [*runs, expert]}


def test_expert_section_takes_gate_and_schedule_from_the_artefacts(tmp_path):
    section = expert_section(None, _expert_store(tmp_path))
    assert section["gate"]["success"] == 0.77 and section["gate"]["final_episodes"] == 321
    assert section["convergence"]["collision"] == 0.11
    assert section["convergence"]["every"] == 1000 and section["convergence"]["episodes"] == 17
    assert section["budget"] == 3000
    assert [r["episodes"] for r in section["rows"]] == [321, 321, 321]


def test_a_criterion_citing_an_artefact_of_another_commit_or_a_dirty_tree_is_flagged(tmp_path):
    arts = _expert_store(tmp_path)
    art = next(iter(arts.values()))
    built = art.manifest["git"]["commit"]
    same = provenance_flags({"artifact": art.id}, arts, {"commit": built, "dirty": False})
    assert not any("built by commit" in f for f in same["flags"])
    art.manifest["git"] = {"commit": "a" * 40, "dirty": True}
    flagged = provenance_flags({"artifact": art.id}, arts, {"commit": "b" * 40, "dirty": False})
    assert any("dirty working tree" in f for f in flagged["flags"])
    assert any("built by commit aaaaaaaaaa, this report by bbbbbbbbbb" in f
               for f in flagged["flags"])
    assert provenance_flags({"artifact": "expert-0000"}, arts, {"commit": "b"})["flags"] == [
        "artefact missing from the store"]


def test_the_template_hard_codes_no_episode_count():
    text = (templates_dir() / "report.html.j2").read_text()
    assert not re.search(r"\b200\b", text)


def test_a_criterion_resting_on_a_resumed_run_says_so(tmp_path):
    arts = _expert_store(tmp_path)
    expert = next(a for a in arts.values() if a.kind == "expert")
    run = arts[expert.manifest["inputs"][0]["id"]]
    run.manifest["resumption"] = {"resumed_from_step": 1000, "exact": False, "note": "x"}
    flags = provenance_flags({"artifact": expert.id}, arts, expert.manifest["git"])["flags"]
    assert any(f"{run.id} was resumed after an interruption at step 1,000" in f for f in flags)


def test_a_mix_expert_section_shows_the_family_by_seed_gate_and_renders(tmp_path):
    """Issue 11: the report's per-family gate is a family x seed table of success and
    collision with Wilson intervals, taken from the decision the expert recorded."""
    from harness.report.render import render_html
    from harness.spec.common import Thresholds
    from harness.stages.expert.promotion import decide
    from harness.stages.expert.records import ExpertMetrics

    families = ["open", "doorway", "crowd"]
    store = Store(tmp_path / "artifacts")
    run_cfg = {"stage": "expert_run", "budget": 3000, "ppo": {"n_envs": 4},
               "eval": {"every": 1000, "episodes": 17, "window": 99},
               "convergence": {"success": 0.9, "collision": 0.05, "consecutive": 2}}
    rates = {"open": (0.99, 0.0), "doorway": (0.93, 0.03), "crowd": (0.95, 0.01)}

    def fam_rates(seed):
        out = dict(rates)
        if seed == 2:
            out["doorway"] = (0.81, 0.09)
        return out

    runs, finals = [], {}
    for seed in (0, 1, 2):
        fam = {k: EvalSummary.from_json(_final(s, c, 250)) for k, (s, c) in
               fam_rates(seed).items()}
        finals[seed] = fam

        def build(b, seed=seed, fam=fam):
            curve = [{**_point(1000 * i), "families": {
                k: {"episodes": 17, "success_rate": v.success_rate, "success_ci": [0.7, 1.0],
                    "collision_rate": v.collision_rate, "collision_ci": [0.0, 0.1],
                    "timeout_rate": 0.0} for k, v in fam.items()}} for i in range(4)]
            (b.dir / "learning_curve.json").write_text(json.dumps(curve))
            b.status = "converged"
            b.metrics = {"converged_at": 1000, "timesteps": 3000, "train_wall_seconds": 6.0,
                         "steps_per_second": 500.0, "final_eval": _final(0.9, 0.02, 750),
                         "last_periodic_eval": curve[-1],
                         "final_by_family": {k: v.to_json() for k, v in fam.items()}}
        runs.append(store.get_or_build("expert_run", run_cfg, [seed], build))
    decision = decide({s: EvalSummary.from_json(_final(0.9, 0.02, 750)) for s in finals}, {},
                      dict.fromkeys(finals, 1000), Thresholds(0.9, 0.05), 3, 3000, 2, finals,
                      tuple(families))
    gate = {"success": 0.9, "collision": 0.05, "min_seeds": 3, "final_episodes": 250,
            "per_family": True}

    def build_expert(b):
        b.status = decision.status
        b.metrics = ExpertMetrics(decision=decision, converged_at={"0": 1000},
                                  expert_training_steps={"0": 3000}).to_json()

    expert = store.get_or_build("expert", {"stage": "expert", "promotion": gate,
                                           "families": families}, [0, 1, 2], build_expert,
                                inputs=runs)
    section = expert_section(None, {a.id: a for a in [*runs, expert]})
    assert section["per_family"] and section["families"] == families
    table = section["family_gate"]
    assert table["seeds"] == [0, 1, 2]
    assert [r["family"] for r in table["rows"]] == families
    assert [r["passed"] for r in table["rows"]] == [True, False, True]
    door = table["rows"][1]["cells"][2]
    assert (door["success_rate"], door["collision_rate"]) == (0.81, 0.09)
    assert any("seed 2, family doorway: success 0.810 < 0.90" in d
               for d in section["diagnostics"])
    html = render_html({"expert": section}, "sections/family_gate.html.j2")
    assert "Per-family gate" in html and 'src="data:image/png;base64,' in html
    assert section["family_heatmap"].startswith("data:image/png;base64,")
    answer = expert_answers(section)[0]  # page one: the worst cell with its interval, and the
    assert answer["text"].startswith("REJECTED: the expert")  # diagnostics said once, a list
    assert "lowest success 81.0% [80.0, 100.0] (doorway, seed 2)" in answer["text"], answer
    assert answer["items"] == section["diagnostics"] and answer["criteria"] == ["SC-001"]
