"""A new stage is one folder and one declaration (issue 22): the toy stage of
``tests/toy_stage`` joins the pipeline through :meth:`Graph.extended` alone, and is built (its
inputs first), cached (in the session and in the store), parametrised and reported without a
line of the harness changing."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from harness.core.graph import Graph, Need, Node, Stage
from harness.core.store import Store
from harness.pipeline import GRAPH, study_pipeline
from harness.plugin import parametrize
from harness.report.render import build_context, render_html
from harness.spec.loader import load_study
from tests.toy_stage import stage as toy

GRAPH_WITH_TOY = GRAPH.extended(toy.STAGE)


@pytest.fixture
def study():
    return load_study("smoke")


def test_the_toy_stage_is_built_inputs_first_and_cached(tmp_path, study):
    toy.BUILT.clear()
    store = Store(tmp_path / "store")
    pipeline = study_pipeline(study, store, graph=GRAPH_WITH_TOY)
    total = pipeline.get("toy_total")
    seeds = list(study.pretraining.seeds)
    assert total.metrics == {"total": sum(s * s for s in seeds)}
    assert toy.BUILT == [*(("toy_square", s) for s in seeds), ("toy_total", None)]
    # its manifest names its inputs: every square, in the declared order
    squares = [pipeline.get("toy_square", s) for s in seeds]
    assert [r["id"] for r in total.manifest["inputs"]] == [a.id for a in squares]
    # cached in the session: asked again, nothing is built
    assert pipeline.get("toy_total") is total and len(toy.BUILT) == len(seeds) + 1
    # cached in the store: a new session reuses every published artefact
    again = study_pipeline(study, Store(tmp_path / "store"), graph=GRAPH_WITH_TOY)
    reused = again.get("toy_total")
    assert reused.id == total.id and not reused.built and len(toy.BUILT) == len(seeds) + 1


def test_the_toy_stage_is_parametrised_from_its_declaration(study, monkeypatch):
    """The plugin reads the pipeline's graph: the toy node's parameter takes its keys."""
    import harness.pipeline

    calls = []
    metafunc = SimpleNamespace(
        fixturenames=["toy_seed", "criteria"],
        config=SimpleNamespace(getoption=lambda name: {"--profile": "smoke"}.get(name)),
        parametrize=lambda name, values, ids: calls.append((name, list(values), list(ids))))
    monkeypatch.setattr(harness.pipeline, "GRAPH", GRAPH_WITH_TOY)
    parametrize.pytest_generate_tests(metafunc)
    seeds = list(study.pretraining.seeds)
    assert calls == [("toy_seed", seeds, [f"toy{s}" for s in seeds])]


def test_the_toy_stage_is_reported_in_its_own_section(tmp_path, study):
    store = Store(tmp_path / "store")
    total = study_pipeline(study, store, graph=GRAPH_WITH_TOY).get("toy_total")
    results = {"artifacts": [total.id], "criteria": [], "tests": []}
    context = build_context(study, results, store, time.time(), 0, graph=GRAPH_WITH_TOY)
    assert context["toy"] == {"id": total.id, "total": total.metrics["total"]}
    html = render_html(context, graph=GRAPH_WITH_TOY)
    assert f"Sum of the squared seeds: <b>{total.metrics['total']}</b>" in html
    # and its line of page one, in the table of contents' place before it
    line = f"The squared seeds sum to {total.metrics['total']:,}."
    assert context["answers"][-1]["text"] == line and context["answers"][-1]["status"] == "info"
    assert html.index(line) < html.index('<nav class="toc">')
    assert "Toy stage" not in render_html(build_context(study, results, store, time.time(), 0))


def test_the_graph_refuses_an_undeclared_input_a_cycle_and_a_name_declared_twice(study):
    def noop(*args, **kwargs):
        raise AssertionError("never built")

    undeclared = Stage("bad", nodes=(Node("needs_ghost", noop,
                                          inputs=lambda s, k: {"x": Need("ghost")}),))
    with pytest.raises(KeyError, match="no node 'ghost'"):
        GRAPH.extended(undeclared).plan(study)
    loop = Stage("loop", nodes=(Node("a", noop, inputs=lambda s, k: {"x": Need("b")}),
                                Node("b", noop, inputs=lambda s, k: {"x": Need("a")})))
    with pytest.raises(ValueError, match="cycle"):
        Graph([loop]).plan(study)
    with pytest.raises(ValueError, match="declared twice"):
        GRAPH.extended(toy.STAGE, toy.STAGE)


def test_the_study_graph_is_a_valid_plan_on_every_profile():
    """Every input every node of the study names is a node and key the profile declares, and
    nothing depends on itself (the check the pipeline runs before it builds)."""
    for profile in ("smoke", "full", "sizes"):
        plan = GRAPH.plan(load_study(profile))
        assert ("comparison", None) in plan and ("expert", None) in plan
