"""The pipeline as a graph, declared once: what each node builds, for which keys, from what.

A :class:`Stage` (one folder of :mod:`harness.stages`) declares its :class:`Node` s (one per
artefact kind it builds), the test parameters it offers and its report section. Everything the
harness does with the pipeline is derived from these declarations by :class:`Pipeline`:

- **building and caching**: :meth:`Pipeline.get` resolves a node's declared inputs (each built
  or reused first), calls its build, and keeps the artefact for the session; the store under it
  reuses what an earlier session published;
- **scheduling**: every request goes through the :class:`~harness.core.scheduling.Scheduler`,
  and the builds with no input (outside the first wave) are its independent work;
- **building ahead** for a concurrent executor (Ray): every remote build of the study, the first
  wave (the critical path) alone, then the rest by depth in the graph;
- **pytest parametrisation**: each node's keys under its parameter name, and each stage's own
  parameters;
- **the report**: each stage's section, in the order the stages are declared;
- **the executor's routing**: which artefact kinds run remotely, and which sub-folders travel
  with an input.

It knows nothing of what it builds: no stage, artefact kind or environment is named here.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.core.scheduling import Scheduler
from harness.core.store import Artifact, reporting_under_way

log = logging.getLogger("harness.graph")

Key = Hashable


@dataclass(frozen=True)
class Need:
    """One upstream artefact a build needs: node ``node`` at key ``key``."""

    node: str
    key: Key = None


Inputs = Mapping[str, "Need | Sequence[Need] | Mapping[Any, Need]"]


def _no_inputs(spec: Any, key: Key) -> Inputs:
    return {}


def _one_key(spec: Any) -> Sequence[Key]:
    return (None,)


@dataclass(frozen=True)
class Node:
    """One kind of artefact in the graph.

    ``build(pipeline, key, **inputs)`` returns the artefact of ``key``; ``inputs(spec, key)``
    names what it needs (a :class:`Need`, or a list or mapping of them), resolved before the
    build is called; ``keys(spec)`` lists every key the spec declares (empty: the node is not
    part of this study)."""

    name: str
    build: Callable[..., Artifact]
    keys: Callable[[Any], Sequence[Key]] = _one_key
    inputs: Callable[[Any, Key], Inputs] = _no_inputs
    kind: str | None = None
    """The store's artefact kind (default: ``name``); several nodes may build one kind."""
    param: str | None = None
    """The pytest parameter that takes every key of this node (one test per key)."""
    ids: Callable[[Key], str] = str
    remote: bool = False
    """An expensive build a concurrent executor runs elsewhere (and :meth:`Pipeline.ahead`
    asks for in advance); the rest is cheap and runs in the driver."""
    travels: tuple[str, ...] = ()
    """Sub-folders of this kind's artefacts (skipped by the store's quick verification) that a
    remote build reading one as input needs, so they travel with it."""
    first: bool = False
    """On the critical path: asked for ahead in a wave of its own, before anything else."""

    @property
    def artifact_kind(self) -> str:
        return self.kind or self.name


@dataclass(frozen=True)
class Section:
    """A stage's part of the report: ``build(spec, artifacts)`` gives the template's context
    under ``key`` (None: nothing to show), rendered by ``template`` (a file name in the
    templates folder, or a path to a file in the stage's own folder). ``answers(context)``
    gives the stage's lines of the report's first page: each a question the study answers and
    its answer in one sentence, every number in it read from ``context`` (the artefacts)."""

    key: str
    build: Callable[[Any, dict[str, Artifact]], dict | None]
    template: str | Path
    answers: Callable[[dict], list[dict]] | None = None


@dataclass(frozen=True)
class Stage:
    """One folder of the pipeline: its nodes, its test parameters besides its nodes' keys
    (name -> ``spec -> [(value, id), ...]``), and its report section."""

    name: str
    nodes: tuple[Node, ...] = ()
    params: Mapping[str, Callable[[Any], Sequence[tuple[Any, str]]]] = field(
        default_factory=dict)
    section: Section | None = None


class Graph:
    """The stages of a pipeline, in order; node names unique across them."""

    def __init__(self, stages: Sequence[Stage]):
        self.stages = tuple(stages)
        self.nodes: dict[str, Node] = {}
        for stage in self.stages:
            for node in stage.nodes:
                if node.name in self.nodes:
                    raise ValueError(f"node '{node.name}' is declared twice (stage "
                                     f"'{stage.name}')")
                self.nodes[node.name] = node

    def __getitem__(self, name: str) -> Node:
        try:
            return self.nodes[name]
        except KeyError:
            raise KeyError(f"no node '{name}' in the pipeline (nodes: "
                           f"{sorted(self.nodes)})") from None

    def extended(self, *stages: Stage) -> Graph:
        return Graph((*self.stages, *stages))

    def remote_kinds(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(n.artifact_kind for n in self.nodes.values() if n.remote))

    def travelling(self) -> dict[str, tuple[str, ...]]:
        return {n.artifact_kind: n.travels for n in self.nodes.values() if n.travels}

    def parameter_names(self) -> set[str]:
        return {n.param for n in self.nodes.values() if n.param is not None} | {
            name for s in self.stages for name in s.params}

    def parameters(self, spec: Any) -> dict[str, tuple[list, list[str]]]:
        """Every test parameter of the pipeline: name -> (values, ids)."""
        out: dict[str, tuple[list, list[str]]] = {}
        for stage in self.stages:
            for node in stage.nodes:
                if node.param is not None:
                    keys = list(node.keys(spec))
                    out[node.param] = (keys, [node.ids(k) for k in keys])
            for name, values in stage.params.items():
                pairs = list(values(spec))
                out[name] = ([v for v, _ in pairs], [i for _, i in pairs])
        return out

    def plan(self, spec: Any) -> dict[tuple[str, Key], tuple[Need, ...]]:
        """Every (node, key) the spec declares and every (node, key) each needs, checked: an
        input names a declared node and key, and nothing depends on itself."""
        plan: dict[tuple[str, Key], tuple[Need, ...]] = {}
        declared = {(n.name, k) for n in self.nodes.values() for k in n.keys(spec)}
        todo = sorted(declared, key=repr)
        while todo:
            name, key = todo.pop()
            if (name, key) in plan:
                continue
            needs = tuple(flatten(self[name].inputs(spec, key)))
            for need in needs:
                self[need.node]  # noqa: B018 - raises, naming the node, when undeclared
                if (need.node, need.key) not in declared:
                    raise KeyError(f"{name}[{key!r}] needs {need.node}[{need.key!r}], which "
                                   f"the spec does not declare")
                todo.append((need.node, need.key))
            plan[(name, key)] = needs
        depth(plan)  # raises on a cycle
        return plan

    def sections(self) -> list[Section]:
        return [s.section for s in self.stages if s.section is not None]

    def report(self, spec: Any, artifacts: dict[str, Artifact]) -> dict[str, dict | None]:
        """Each stage's report section from the artefacts a session referenced."""
        return {s.key: s.build(spec, artifacts) for s in self.sections()}

    def answers(self, sections: dict[str, dict | None]) -> list[dict]:
        """The first page's answers, stage by stage, from the built sections (a stage with
        nothing to show gives none)."""
        out: list[dict] = []
        for s in self.sections():
            if s.answers is not None and sections.get(s.key):
                out.extend(s.answers(sections[s.key]))
        return out


def flatten(inputs: Inputs) -> list[Need]:
    out: list[Need] = []
    for value in inputs.values():
        if isinstance(value, Need):
            out.append(value)
        elif isinstance(value, Mapping):
            out.extend(value.values())
        else:
            out.extend(value)
    return out


def depth(plan: Mapping[tuple[str, Key], Sequence[Need]]) -> dict[tuple[str, Key], int]:
    """Longest chain of inputs under each (node, key); a cycle is an error."""
    out: dict[tuple[str, Key], int] = {}
    visiting: set[tuple[str, Key]] = set()

    def visit(item: tuple[str, Key]) -> int:
        if item in out:
            return out[item]
        if item in visiting:
            raise ValueError(f"the pipeline has a cycle through {item[0]}[{item[1]!r}]")
        visiting.add(item)
        d = 1 + max((visit((n.node, n.key)) for n in plan[item]), default=-1)
        visiting.discard(item)
        out[item] = d
        return d

    for item in plan:
        visit(item)
    return out


class Pipeline:
    """One study's graph on one store for one session: builds on demand, in the scheduler's
    order, and keeps what it got."""

    def __init__(self, graph: Graph, spec: Any, store: Any, progress: Any = None,
                 scheduler: Scheduler | None = None):
        self.graph = graph
        self.spec = spec
        self.store = store
        self.progress = progress
        self.scheduler = scheduler or Scheduler(store)
        self._got: dict[tuple[str, Key], Artifact] = {}
        self._lock = threading.Lock()
        if not store.executor.concurrent:  # with Ray, ahead() submits them in their turn
            self.scheduler.add_independent(self.independent())

    def reporter(self, label: str):
        """Live progress for one training run (None without a progress reporter)."""
        return self.progress.for_run(label) if self.progress is not None else None

    def get(self, node: str, key: Key = None) -> Artifact:
        """The artefact of ``node`` at ``key``, built (its inputs first) or reused."""
        return self.many([Need(node, key)])[0]

    def many(self, needs: Sequence[Need]) -> list[Artifact]:
        """Every need, built or reused, in the scheduler's order (a build another process
        holds is left for later), returned in the order asked."""
        return self.scheduler.build_many(list(needs), self._get)

    def _get(self, need: Need) -> Artifact:
        item = (need.node, need.key)
        with self._lock:
            if item in self._got:
                return self._got[item]
        node = self.graph[need.node]
        inputs = self._resolve(node.inputs(self.spec, need.key))
        artifact = node.build(self, need.key, **inputs)
        with self._lock:
            return self._got.setdefault(item, artifact)

    def _resolve(self, inputs: Inputs) -> dict[str, Any]:
        needs = flatten(inputs)
        built = dict(zip(needs, self.many(needs), strict=True)) if needs else {}
        out: dict[str, Any] = {}
        for name, value in inputs.items():
            if isinstance(value, Need):
                out[name] = built[value]
            elif isinstance(value, Mapping):
                out[name] = {k: built[v] for k, v in value.items()}
            else:
                out[name] = [built[v] for v in value]
        return out

    def independent(self) -> list[Callable[[], Artifact]]:
        """The builds with no input, outside the first wave: what a process does while it
        would otherwise wait for an artefact another process is building."""
        return [(lambda n=n, k=k: self._get(Need(n, k)))
                for (n, k), needs in self.graph.plan(self.spec).items()
                if not needs and not self.graph[n].first]

    def ahead(self, wait: float = 60.0) -> threading.Thread:
        """Ask, each from its own thread, for every remote build of the study, for an executor
        that runs builds concurrently elsewhere (a Ray cluster). The threads only wait (the
        store's locks make the tests' own requests wait for or reuse what they build); a
        failure here is left for the test that asks for the same artefact to report.

        Order matters, because a cluster serves its queue first come, first served: the first
        wave (the critical path, e.g. the expert seeds every later build waits for) is
        submitted alone, and only once each of its builds is under way (or ``wait`` seconds
        have passed) does the rest follow, shallowest in the graph first (builds with no input
        before those that wait for one). Returns the thread that starts the waves."""
        plan = self.graph.plan(self.spec)
        depths = depth(plan)
        order = {name: i for i, name in enumerate(self.graph.nodes)}
        remote = sorted((item for item in plan if self.graph[item[0]].remote),
                        key=lambda item: (depths[item], order[item[0]]))
        first = [i for i in remote if self.graph[i[0]].first]
        rest = [i for i in remote if not self.graph[i[0]].first]
        waves = [[(f"{n} {k!r}", lambda n=n, k=k: self.get(n, k)) for n, k in wave]
                 for wave in (first, rest)]
        coordinator = threading.Thread(target=_waves, args=(waves, wait), daemon=True,
                                       name="ahead")
        coordinator.start()
        return coordinator


def _waves(waves: list[list[tuple[str, Callable[[], object]]]], wait: float) -> None:
    for wave in waves:
        for event in [_start_ahead(name, job) for name, job in wave]:
            event.wait(wait)


def _start_ahead(name: str, job: Callable[[], object]) -> threading.Event:
    """Run ``job`` in a thread of its own; the event is set once its first build is under way
    (or the job has returned)."""
    event = threading.Event()
    threading.Thread(target=_ahead, args=(name, job, event), daemon=True,
                     name=f"ahead {name}").start()
    return event


def _ahead(name: str, job: Callable[[], object], event: threading.Event) -> None:
    try:
        with reporting_under_way(lambda _id: event.set()):
            job()
    except Exception as exc:  # the test asking for it raises it with its context
        log.info("build ahead of %s stopped: %r", name, exc)
    finally:
        event.set()
