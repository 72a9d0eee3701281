"""A toy stage: one small artefact per pre-training seed (the seed squared) and their total,
with its own report section. Everything it needs is in this folder: the builds, the
declaration and the section's template."""

from __future__ import annotations

import json
from pathlib import Path

from harness.core.graph import Need, Node, Section, Stage
from harness.report.answers import answer
from harness.report.lookup import first_of

BUILT: list[tuple[str, object]] = []
"""What was built in this process (the test checks that a cached artefact is not rebuilt)."""


def _square(p, seed: int):
    def build(b):
        BUILT.append(("toy_square", seed))
        (b.dir / "square.json").write_text(json.dumps({"seed": seed, "square": seed * seed}))
        b.metrics = {"square": seed * seed}

    return p.store.get_or_build("toy_square", {"stage": "toy_square", "seed": seed}, [seed],
                                build)


def _total(p, _key, squares):
    def build(b):
        BUILT.append(("toy_total", None))
        b.metrics = {"total": sum(a.metrics["square"] for a in squares)}

    return p.store.get_or_build("toy_total", {"stage": "toy_total"}, [], build, inputs=squares)


def _section(spec, artifacts):
    total = first_of(artifacts, "toy_total")
    return None if total is None else {"id": total.id, "total": total.metrics["total"]}


def _answers(section):
    """Its line of the report's first page, every number from its section."""
    return [answer("Toy", f"The squared seeds sum to {section['total']:,}.",
                   artifact=section["id"])]


STAGE = Stage(
    "toy",
    nodes=(
        Node("toy_square", _square, keys=lambda s: s.pretraining.seeds, param="toy_seed",
             ids=lambda seed: f"toy{seed}"),
        Node("toy_total", _total,
             inputs=lambda s, _k: {"squares": [Need("toy_square", x)
                                               for x in s.pretraining.seeds]}),
    ),
    section=Section("toy", _section, Path(__file__).with_name("section.html.j2"), _answers),
)
