"""The expert stage in the pipeline: one PPO run per expert seed (the critical path, built
first), and the promotion decision over all of them."""

from __future__ import annotations

from harness.core.graph import Need, Node, Section, Stage
from harness.stages.expert.build import promote, train_expert_seed
from harness.stages.expert.report import expert_answers, expert_section


def _run(p, seed: int):
    return train_expert_seed(p.spec.expert, seed, p.store, p.reporter(f"expert seed {seed}"))


def _promote(p, _key, runs):
    return promote(p.spec.expert, runs, p.store)


STAGE = Stage(
    "expert",
    nodes=(
        Node("expert_run", _run, keys=lambda s: s.expert.seeds, param="expert_seed",
             ids=lambda seed: f"seed{seed}", remote=True, first=True),
        Node("expert", _promote,
             inputs=lambda s, _k: {"runs": [Need("expert_run", x) for x in s.expert.seeds]}),
    ),
    params={"expert_family": lambda s: [(f, f) for f in s.expert.family_names]},
    section=Section("expert", expert_section, "sections/expert.html.j2", expert_answers),
)
