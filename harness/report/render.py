"""Assemble the report context from recorded criteria and artefact manifests; render it."""

from __future__ import annotations

import json
import os
import platform
import re
import time
from datetime import UTC, datetime
from pathlib import Path

import jinja2

from harness.core.graph import Graph
from harness.core.paths import templates_dir
from harness.core.store import Artifact, Store, StoreError, environment_versions, git_state
from harness.criteria import CriterionFailed
from harness.pipeline import GRAPH
from harness.report.answers import resolve
from harness.report.headline import headline

CRITERION_FAILED = f"{CriterionFailed.__module__}.{CriterionFailed.__name__}"
"""How a test that failed on an acceptance criterion's assertion starts its message."""

LOADERS = {
    "expert": ("from harness.api import load_policy",
               "model = load_policy('{id}', root='{root}')  # stable_baselines3.PPO"),
    "expert_run": ("from stable_baselines3 import PPO",
                   "model = PPO.load('{path}/model.zip', device='cpu')"),
    "arm_run": ("from harness.api import load_policy",
                "model = load_policy('{id}', root='{root}')  # fine-tuned or baseline PPO"),
    "dataset": ("import minari  # or h5py.File('{path}/data/main_data.hdf5')",
                "ds = minari.MinariDataset('{path}/data')"),
}
DEFAULT_LOADER = ("from harness.api import open_store",
                  "artifact = open_store('{root}').find('{id}')  # .manifest, .file(name)")


def render_study_report(profile: str, spec_path: str | None, results: dict,
                        artifacts_root: Path, out_dir: Path, started: float,
                        exitstatus: int, graph: Graph = GRAPH) -> tuple[Path, Path]:
    """Write ``<out_dir>/<study>/report.html`` and ``report.pdf``; return both paths."""
    from harness.spec.loader import load_study

    study = load_study(profile, spec_path)
    store = Store(artifacts_root)
    context = build_context(study, results, store, started, exitstatus, graph)
    html = render_html(context, graph=graph)
    folder = out_dir / study.name
    folder.mkdir(parents=True, exist_ok=True)
    html_path, pdf_path = folder / "report.html", folder / "report.pdf"
    _atomic_write_text(html_path, html)
    (folder / "report_context.json").write_text(json.dumps(_jsonable(context), indent=1))
    _write_pdf(html, pdf_path)
    return html_path, pdf_path


def render_html(context: dict, template: str = "report.html.j2", graph: Graph = GRAPH) -> str:
    """The report (or one of its included parts, given ``template``) rendered from ``context``.
    A stage's section template is a file of the templates folder, or a file in the stage's own
    folder (named by its path)."""
    own = {str(s.template): Path(s.template) for s in graph.sections()
           if isinstance(s.template, Path)}
    loader = jinja2.ChoiceLoader([
        jinja2.FileSystemLoader(str(templates_dir())),
        jinja2.FunctionLoader(lambda name: own[name].read_text() if name in own else None)])
    env = jinja2.Environment(loader=loader,
                             autoescape=jinja2.select_autoescape(["html", "j2"]),
                             undefined=jinja2.StrictUndefined)
    env.filters["pct"] = lambda v, d=1: "n/a" if v is None else f"{100 * v:.{d}f}%"
    env.filters["num"] = lambda v: "n/a" if v is None else f"{v:,}"
    env.filters["ci"] = lambda v: "n/a" if not v else f"[{100 * v[0]:.1f}, {100 * v[1]:.1f}]%"
    css = (templates_dir() / "report.css").read_text()
    return with_contents(env.get_template(template).render(css=css, **context))


H2 = re.compile(r"<h2(?P<attrs>[^>]*)>(?P<title>.*?)</h2>", re.S)
TOC_MARK = "<!-- contents -->"


def with_contents(html: str) -> str:
    """Every ``<h2>`` gets an anchor, and the table of contents (in place of ``TOC_MARK``)
    links to each, with its page number in the PDF: a new stage's section joins it by having
    a heading, nothing else."""
    entries: list[tuple[str, str, bool]] = []

    def anchor(m: re.Match) -> str:
        attrs, title = m["attrs"], m["title"]
        ident = f"s{len(entries) + 1}"
        entries.append((ident, re.sub(r"<[^>]+>", "", title).strip(), "appendix" in attrs))
        return f'<h2 id="{ident}"{attrs}>{title}</h2>'

    html = H2.sub(anchor, html)
    items = "".join(f'<li{" class=appendix" if appendix else ""}><a class="toc" '
                    f'href="#{ident}">{title}</a></li>' for ident, title, appendix in entries)
    return html.replace(TOC_MARK, f'<nav class="toc"><h3>Contents</h3><ol>{items}</ol></nav>', 1)


def _write_pdf(html: str, path: Path) -> None:
    from weasyprint import HTML

    tmp = path.with_suffix(".pdf.tmp")
    HTML(string=html, base_url=str(templates_dir())).write_pdf(str(tmp))
    os.replace(tmp, path)


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def build_context(study, results: dict, store: Store, started: float, exitstatus: int,
                  graph: Graph = GRAPH) -> dict:
    artifacts, missing = _collect(store, results["artifacts"] + [
        c["artifact"] for c in results["criteria"] if c.get("artifact")])
    git = git_state()
    criteria = sorted((provenance_flags(c, artifacts, git) for c in results["criteria"]),
                      key=lambda c: (c["passed"] or bool(c.get("not_run")), c["id"], c["test"]))
    tests = sorted(results["tests"], key=lambda t: (t["outcome"] == "passed", t["nodeid"]))
    blocked = blocked_groups(tests)
    failed_tests = [{**t, "criterion_failed": t["message"].startswith(CRITERION_FAILED)}
                    for t in tests if t["outcome"] == "failed" and not t.get("blocked")]
    decided = [c for c in criteria if not c.get("not_run")]
    verdict = (exitstatus == 0 and all(c["passed"] for c in decided) and not failed_tests
               and not blocked and bool(decided))
    sections = graph.report(study, artifacts)
    return {
        "title": f"Study report: {study.name}",
        "study": {"name": study.name, "profile": study.profile, "file": study.file,
                  "config_hash": study.config_hash},
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "duration_min": round((time.time() - started) / 60.0, 1),
        "exitstatus": exitstatus,
        "verdict": verdict,
        "answers": resolve(graph.answers(sections), criteria),
        "deviations": deviations(criteria, study),
        "not_run": [c for c in criteria if c.get("not_run") and not c.get("blocked")],
        "groups": criteria_groups(criteria),
        "criteria": criteria,
        "counts": {"passed": sum(1 for c in decided if c["passed"]),
                   "failed": sum(1 for c in decided if not c["passed"]),
                   "blocked": sum(1 for c in criteria if c.get("blocked")),
                   "not_run": sum(1 for c in criteria if c.get("not_run")
                                  and not c.get("blocked"))},
        "tests": tests,
        "failed_tests": failed_tests,
        "blocked": blocked,
        "provenance": {"git": git, "environment": environment_versions(),
                       "node": platform.node(), "artifacts_root": str(store.root)},
        "environment": environment_section(study),
        **sections,
        "sections": [str(s.template) for s in graph.sections()],
        "shift_declared": study.shift is not None,
        "shift_deviation": study.shift_deviation,
        "seed_plan": seed_plan(artifacts),
        "index": artifact_index(artifacts),
        "missing": missing,
    }


def blocked_groups(tests: list[dict]) -> list[dict]:
    """The tests a rejected upstream artefact blocked, grouped by the rejection: the report
    says each rejection once, with the tests and the criteria it kept from being evaluated."""
    groups: dict[tuple[str, str], dict] = {}
    for t in tests:
        b = t.get("blocked")
        if not b:
            continue
        g = groups.setdefault((b["blocker"], b["message"]),
                              {"blocker": b["blocker"], "message": b["message"], "tests": [],
                               "criteria": []})
        g["tests"].append(t["nodeid"])
        g["criteria"] += [c for c in b["criteria"] if c not in g["criteria"]]
    return list(groups.values())


def deviations(criteria: list[dict], study) -> list[dict]:
    """Every declared deviation once, with the criteria it concerns (the rows carry them)."""
    out: dict[str, list[str]] = {}
    for c in criteria:
        if c.get("deviation"):
            ids = out.setdefault(c["deviation"], [])
            if c["id"] not in ids:
                ids.append(c["id"])
    if study.shift_deviation and study.shift_deviation not in out:
        out[study.shift_deviation] = ["SHIFT"]
    return [{"text": text, "criteria": ids} for text, ids in out.items()]


def criteria_groups(criteria: list[dict]) -> list[dict]:
    """The criteria the way a reader thinks: a criterion recorded by many parametrised tests
    (per seed, per (seed, family), per (arm, seed)) as one grid, its rows the non-seed
    parameters and its columns the seeds; a criterion recorded once as a row. Groups with a
    failure come first; the full row-per-criterion table stays in the appendix."""
    by_id: dict[str, list[dict]] = {}
    for c in criteria:
        by_id.setdefault(c["id"], []).append(c)
    groups = []
    for cid, rows in by_id.items():
        failed = any(not r["passed"] and not r.get("not_run") for r in rows)
        blocked = any(r.get("blocked") for r in rows)
        grid = _grid(rows) if len(rows) > 1 else None
        groups.append({"id": cid, "name": _common_name(rows), "rows": rows, "grid": grid,
                       "failed": failed, "blocked": blocked,
                       "passed": sum(1 for r in rows if r["passed"]),
                       "deviations": sorted({r["deviation"] for r in rows if r.get("deviation")}),
                       "flags": sorted({f for r in rows for f in r.get("flags", [])})})
    return sorted(groups, key=lambda g: (not g["failed"], not g["blocked"], g["id"]))


def _coordinates(params: dict) -> list:
    out: list = []
    for value in params.values():
        out.extend(value if isinstance(value, list) else [value])
    return out


def _grid(rows: list[dict]) -> dict | None:
    """Rows x seed columns, when every row has parameters of the same shape (None otherwise)."""
    coords = [_coordinates(r.get("params") or {}) for r in rows]
    if not coords[0] or len({len(c) for c in coords}) != 1:
        return None
    ints = [i for i, v in enumerate(coords[0]) if isinstance(v, int) and not isinstance(v, bool)]
    col = ints[-1] if ints else len(coords[0]) - 1
    cells: dict[tuple[str, object], dict] = {}
    row_labels: list[str] = []
    col_labels: list = []
    for r, c in zip(rows, coords, strict=True):
        label = " · ".join(str(v) for i, v in enumerate(c) if i != col) or r["id"]
        if label not in row_labels:
            row_labels.append(label)
        if c[col] not in col_labels:
            col_labels.append(c[col])
        cells[(label, c[col])] = r
    try:
        col_labels.sort()
    except TypeError:
        pass
    return {"column": "seed" if ints else "", "columns": col_labels,
            "rows": [{"label": label, "cells": [cells.get((label, k)) for k in col_labels]}
                     for label in row_labels]}


def _common_name(rows: list[dict]) -> str:
    """What a criterion's rows say in common: each name without its test's parameter values
    ("expert seed 0 on doorway: final success" -> "expert: final success"); the first row's
    name when they still differ."""
    names = []
    for r in rows:
        name = r["name"]
        for v in _coordinates(r.get("params") or {}):
            value = re.escape(str(v))
            name = re.sub(rf"\b(?:seed|on|at|arm)?\s*{value}\b", "", name)
        name = re.sub(r"\s+", " ", name)
        name = re.sub(r"\s*,?\s*:", ":", name).strip(" ,")
        names.append(name)
    return names[0] if len(set(names)) == 1 else rows[0]["name"]


def provenance_flags(criterion: dict, artifacts: dict[str, Artifact], git: dict) -> dict:
    """The criterion row with a flag when its artefact was built by another commit than the
    report's, or from a dirty tree (DESIGN.md section 4, provenance of a shown number)."""
    flags = []
    art = artifacts.get(criterion.get("artifact") or "")
    if art is not None:
        built = art.manifest.get("git", {})
        if built.get("dirty"):
            flags.append(f"built from a dirty working tree at {str(built.get('commit'))[:10]}")
        if built.get("commit") != git.get("commit"):
            flags.append(f"built by commit {str(built.get('commit'))[:10]}, this report by "
                         f"{str(git.get('commit'))[:10]}")
        inputs = [artifacts[r["id"]] for r in art.manifest.get("inputs", [])
                  if r["id"] in artifacts]
        resumed = [a for a in (art, *inputs) if a.manifest.get("resumption")]
        for a in resumed:
            flags.append(f"{a.id} was resumed after an interruption at step "
                         f"{a.manifest['resumption']['resumed_from_step']:,} (approximate "
                         f"resumption: its later numbers differ from an uninterrupted run's)")
    elif criterion.get("artifact"):
        flags.append("artefact missing from the store")
    return {**criterion, "deviation": criterion.get("deviation"), "flags": flags}


def seed_plan(artifacts: dict[str, Artifact]) -> list[dict]:
    """The episode-seed ranges each purpose used, from the artefacts' manifests."""
    rows: dict[tuple, dict] = {}
    for art in artifacts.values():
        recorded = art.manifest.get("episode_seeds") or \
            art.manifest.get("config", {}).get("episode_seeds") or {}
        if "purpose" in recorded:
            recorded = {"evaluation": recorded}
        for role, r in recorded.items():
            key = (r["purpose"], r["start"], r["stop"])
            row = rows.setdefault(key, {"purpose": r["purpose"], "start": r["start"],
                                        "stop": r["stop"], "artifacts": []})
            row["artifacts"].append(f"{art.id} ({role})")
    for row in rows.values():
        row["artifacts"].sort()  # independent of the order workers reported in
    return sorted(rows.values(), key=lambda r: (r["start"], r["stop"]))


def _collect(store: Store, ids: list[str]) -> tuple[dict[str, Artifact], list[str]]:
    """The artefacts the tests referenced, plus their inputs, transitively."""
    found: dict[str, Artifact] = {}
    missing: list[str] = []
    todo = list(ids)
    while todo:
        aid = todo.pop(0)
        if aid in found or aid in missing:
            continue
        try:
            art = store.find(aid)
        except StoreError as exc:  # absent, or tampered (IntegrityError): never cited
            diffs = getattr(exc, "differences", None)
            note = f"{aid} (integrity check failed: {diffs[0].text()})" if diffs else aid
            missing += [note] if note not in missing else []
            continue
        found[aid] = art
        todo += [ref["id"] for ref in art.manifest.get("inputs", [])]
    return found, missing


def artifact_index(artifacts: dict[str, Artifact]) -> list[dict]:
    rows = []
    for art in sorted(artifacts.values(), key=lambda a: (a.kind, a.id)):
        lines = LOADERS.get(art.kind, DEFAULT_LOADER)
        rows.append({"id": art.id, "kind": art.kind, "status": art.status,
                     "headline": headline(art.manifest),
                     "created": art.manifest["created"], "path": str(art.path),
                     "config_sha256": art.manifest["config_sha256"][:12],
                     "commit": (art.manifest["git"]["commit"] or "")[:10],
                     "dirty": art.manifest["git"]["dirty"],
                     "load": [ln.format(id=art.id, path=art.path, root=art.path.parent.parent)
                              for ln in lines]})
    return rows


def environment_section(study) -> dict | None:
    """What a declared (non built-in) environment is: its families, wrappers and outcome rule
    (None for the built-in simulator, whose scenarios the expert section names)."""
    if study.environment is None:
        return None
    families = list(study.environment.values())
    first = families[0]
    return {"name": first.environment, "imports": list(first.imports),
            "wrappers": list(first.wrappers), "vectorise": first.vectorise,
            "outcome": first.outcome.describe(),
            "descriptors": [d.as_dict() for d in first.descriptors],
            "families": [{"name": f.name, "env": f.label(),
                          "max_episode_steps": f.max_episode_steps,
                          "observation": str(f.observation_space),
                          "action": str(f.action_space)} for f in families]}


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()
                if not (isinstance(v, str) and v.startswith("data:image"))}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value
