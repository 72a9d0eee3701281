"""The package's layout (issue 22): no import cycle between its modules, counting the imports
inside functions (a lazy import hides a cycle, it does not remove it), and infrastructure
(``harness/core``) that imports no stage. Run alone: ``pytest tests/test_layout.py -v``."""

from __future__ import annotations

import ast
from pathlib import Path

import harness

PACKAGE = Path(harness.__file__).resolve().parent


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Module -> the harness modules it imports (anywhere in its body, at any depth)."""
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1]
                                    + ([base] if base else []))
                for a in node.names:  # `from pkg import module` names a module
                    targets.add(f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base)
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_graph_sees_lazy_and_relative_imports():
    graph = import_graph()
    assert "harness.core.store" in graph["harness.core.executor"]
    # a function-level import counts: a fixture of the plugin imports the executor
    assert "harness.core.executor" in graph["harness.plugin.fixtures"]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycle_between_modules():
    assert cycles(import_graph()) == []


def test_infrastructure_imports_no_stage():
    graph = import_graph()
    core = {m: deps for m, deps in graph.items() if m.startswith("harness.core")}
    assert core, "harness/core is missing"
    outside = {m: sorted(d for d in deps if not d.startswith("harness.core"))
               for m, deps in core.items()}
    assert {m: d for m, d in outside.items() if d} == {}


KIND_TESTS = (r"\bis_declared\b", r"isinstance\([^)]*GymFamily", r"==\s*[\"']gymnasium[\"']",
              r"isinstance\([^)]*\(Scenario, ScenarioMix\)\)", r"[\"']info_keys[\"'] in ")
"""Ways to ask which kind of environment one has (a declared family or the simulator)."""


def test_only_the_environment_implementations_ask_which_environment_they_have():
    import re

    allowed = {"harness/envs", "harness/nav"}  # the two implementations and the dispatcher
    allowed_files = {"harness/stages/dataset/schema.py"}  # generic_layout: a dataset's own variant
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).as_posix()
        if rel in allowed_files or any(rel.startswith(a + "/") for a in allowed):
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if any(re.search(p, line) for p in KIND_TESTS):
                found.append(f"{rel}:{n}: {line.strip()}")
    assert found == []
