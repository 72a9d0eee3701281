"""Command line for audits: ``python -m harness <command>`` (also installed as ``harness``).

    harness list [--kind expert] [--json] every published artefact as a table: id, kind, status,
                                          its kind's headline number, created, built by which
                                          commit (--json: the manifests)
    harness show <id> [--json]            a readable summary: status, key metrics with their
                                          intervals, config, seeds, inputs, files verified
                                          (--json: the raw manifest)
    harness verify <id> | --all           re-hash every file against its manifest, check the
                                          manifest's seal and each input's manifest hash;
                                          exit 1 with the list of differences
    harness evaluate <id> [--episodes N]  re-evaluate a stored policy on fresh evaluation seeds
    harness validate <dataset id|folder>  validate a dataset, read-only (exit 1 on failure);
                                          never moves or writes what it audits
    harness playback <dataset id|folder> --episodes 0 7 --out DIR
                                          render episodes to GIF and replay-check them
    harness analytics <dataset id|folder> analytics with per-episode anomaly flags (JSON)

Audit commands read an existing store (a mistyped --artifacts-dir is an error) and never move,
edit or quarantine what they audit. Errors are one line on stderr, exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from harness.api import open_store
from harness.core.store import MANIFEST, Artifact, Store, StoreError
from harness.report.headline import headline, key_metrics
from harness.spec.errors import SpecError


class UsageError(Exception):
    """A command was asked something it cannot do; printed as one line, exit status 2."""


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, found {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, found {value}")
    return value


def non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an episode index >= 0, found {text!r}") \
            from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an episode index >= 0, found {value}")
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="harness", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--artifacts-dir", default=None, help="store root (default artifacts/)")
    sub = p.add_subparsers(dest="command", required=True)
    p_list = sub.add_parser("list", help="list published artefacts")
    p_list.add_argument("--kind", default=None)
    p_list.add_argument("--json", action="store_true", help="the manifests, as JSON")
    p_show = sub.add_parser("show", help="summarise an artefact")
    p_show.add_argument("id")
    p_show.add_argument("--json", action="store_true", help="the raw manifest, as JSON")
    p_ver = sub.add_parser("verify", help="re-hash artefacts against their manifests")
    target = p_ver.add_mutually_exclusive_group(required=True)
    target.add_argument("id", nargs="?", default=None)
    target.add_argument("--all", action="store_true", help="every published artefact")
    p_eval = sub.add_parser("evaluate", help="re-evaluate a stored policy")
    p_eval.add_argument("id")
    p_eval.add_argument("--episodes", type=positive_int, default=200)
    p_eval.add_argument("--scenario", default=None, help="default: the artefact's scenario")
    p_val = sub.add_parser("validate", help="validate a dataset (read-only)")
    p_val.add_argument("dataset")
    p_val.add_argument("--min-episodes", type=positive_int, default=None,
                       help="default: the minimum the dataset was built with")
    p_play = sub.add_parser("playback", help="render dataset episodes and replay-check them")
    p_play.add_argument("dataset")
    p_play.add_argument("--episodes", type=non_negative_int, nargs="+", default=[0])
    p_play.add_argument("--out", default="playback")
    p_an = sub.add_parser("analytics", help="dataset analytics and anomaly flags")
    p_an.add_argument("dataset")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        store = open_store(args.artifacts_dir)
        return run(store, args)
    except (StoreError, SpecError, UsageError) as exc:
        print(f"harness: {exc}", file=sys.stderr)
        return 2


def run(store: Store, args: argparse.Namespace) -> int:
    from harness.stages.dataset.playback import PlaybackError

    if args.command == "list":
        arts = store.list(args.kind)
        if args.json:
            print(json.dumps([a.manifest for a in arts], indent=2))
        elif not arts:
            print(f"no published artefact{' of kind ' + args.kind if args.kind else ''} in "
                  f"{store.root}")
        else:
            print(table(["id", "kind", "status", "headline", "created (UTC)", "commit"],
                        [[a.id, a.kind, a.status, headline(a.manifest),
                          _minute(a.manifest.get("created")), _commit(a.manifest)]
                         for a in arts]))
    elif args.command == "show":
        art = store.find(args.id, verify=False)
        if args.json:
            print(json.dumps(art.manifest, indent=2))
        else:
            print(summary(store, art))
    elif args.command == "verify":
        return verify(store, None if args.all else args.id)
    elif args.command == "evaluate":
        print(json.dumps(reevaluate(store, args.id, args.episodes, args.scenario), indent=2))
    elif args.command == "validate":
        return validate(store, args.dataset, args.min_episodes)
    elif args.command == "playback":
        from harness.stages.dataset.playback import playback

        try:
            rows = playback(dataset_folder(store, args.dataset)[0], args.episodes,
                            Path(args.out))
        except PlaybackError as exc:
            raise UsageError(str(exc)) from None
        print(json.dumps(rows, indent=2))
        return 0 if all(r["matches"] for r in rows) else 1
    elif args.command == "analytics":
        from harness.stages.dataset.analytics import analyse

        print(json.dumps(analyse(dataset_folder(store, args.dataset)[0]), indent=2))
    return 0


def table(header: list[str], rows: list[list[str]], width: int = 48) -> str:
    """Aligned columns with a header rule; a cell longer than ``width`` is cut with an
    ellipsis (``show`` prints the whole of it)."""
    cells = [[c if len(c) <= width else c[:width - 1] + "\u2026" for c in map(str, r)]
             for r in [header, *rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
             for r in cells]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:]])


def _minute(created: str | None) -> str:
    return (created or "-")[:16].replace("T", " ")


def _commit(manifest: dict) -> str:
    git = manifest.get("git") or {}
    commit = (git.get("commit") or "-")[:10]
    return commit + (" (dirty)" if git.get("dirty") else "")


def summary(store: Store, art: Artifact) -> str:
    """What ``harness show`` prints: the artefact at a glance, its files verified."""
    m = art.manifest
    rows = [("id", art.id), ("kind", art.kind), ("status", art.status),
            ("created", f"{_minute(m.get('created'))} UTC"), ("built by", _commit(m)),
            ("config sha256", (m.get("config_sha256") or "-")[:12]), ("path", str(art.path))]
    for key in ("scenario", "seeds", "chosen_seed"):
        if m.get(key) is not None:
            rows.append((key, ", ".join(map(str, m[key])) if isinstance(m[key], list)
                         else str(m[key])))
    out = _block("Artefact", rows)
    metrics = key_metrics(m)
    out += "\n\n" + _block("Key metrics", metrics or [("metrics", "none this command reads "
                                                                "(--json shows them all)")])
    by_kind: dict[str, list[str]] = {}
    for ref in m.get("inputs", []):
        by_kind.setdefault(ref["id"].rsplit("-", 1)[0], []).append(ref["id"])
    if by_kind:
        out += "\n\n" + _block("Inputs", [
            (kind, ", ".join(ids) if len(ids) <= 3 else
             f"{len(ids)}: {', '.join(ids[:2])}, ... (--json lists every one)")
            for kind, ids in by_kind.items()])
    _, diffs = store.verify(art.id)
    fatal = [d for d in diffs if d.fatal]
    files = len(m.get("files", {}))
    verdict = (f"{files} file(s) and the manifest's seal verified: clean" if not fatal else
               f"{len(fatal)} difference(s) from the manifest:\n" +
               "\n".join("  DIFFERS  " + d.text() for d in fatal))
    return out + "\n\nFiles\n  " + verdict


def _block(title: str, rows: list[tuple[str, str]]) -> str:
    width = max(len(k) for k, _ in rows)
    return title + "\n" + "\n".join(f"  {k.ljust(width)}  {v}" for k, v in rows)


def verify(store: Store, artifact_id: str | None) -> int:
    """Print every difference between the store and its manifests; 1 when any is fatal."""
    arts, diffs = store.verify(artifact_id)
    fatal = [d for d in diffs if d.fatal]
    for d in diffs:
        print(("DIFFERS  " if d.fatal else "NOTE     ") + d.text())
    files = sum(len(a.manifest.get("files", {})) for a in arts)
    verdict = f"{len(fatal)} difference(s)" if fatal else "clean"
    print(f"verified {len(arts)} artefact(s), {files} file(s) in {store.root}: {verdict}")
    return 1 if fatal else 0


def dataset_folder(store: Store, ref: str) -> tuple[Path, Artifact | None]:
    """The folder of a dataset given by artefact id or by path, and its published artefact
    (None for a folder that is not a published artefact of this store). Refuses anything that
    is not a dataset."""
    path = Path(ref)
    if "/" in ref or ref.startswith(".") or path.exists():
        if not path.is_dir():
            raise UsageError(f"{path}: no such folder (expected a dataset artefact id or a "
                             f"folder holding data/main_data.hdf5)")
        art = store.published(path)
        kind = art.kind if art is not None else _kind_of(path)
        if kind not in (None, *DATASET_KINDS):
            raise UsageError(_not_a_dataset(path, kind))
        if not (path / "data").is_dir():
            raise UsageError(f"{path}: not a dataset folder (expected data/main_data.hdf5 "
                             f"and data/metadata.json inside)")
        return path, (art.verify() if art is not None else None)
    art = store.find(ref)
    if art.kind not in DATASET_KINDS:
        raise UsageError(_not_a_dataset(ref, art.kind))
    return art.path, art


DATASET_KINDS = ("dataset", "dataset_subset")
"""Artefact kinds that hold a dataset folder (a recorded one, or a subset of one)."""


def _kind_of(folder: Path) -> str | None:
    try:
        return json.loads((folder / MANIFEST).read_text()).get("kind")
    except (OSError, ValueError, AttributeError):
        return None


def _not_a_dataset(ref: object, kind: str) -> str:
    article = "an" if kind[:1] in "aeiou" else "a"
    return (f"{ref}: is {article} {kind}, not a dataset: validate, playback and analytics take "
            f"a dataset (use `harness verify` to check any artefact's files)")


def validate(store: Store, ref: str, min_episodes: int | None) -> int:
    """Read-only validation: prints the report, exits 1 on failure; never moves, quarantines
    or writes into the folder (published or not)."""
    from harness.stages.dataset.build import audit_dataset

    folder, art = dataset_folder(store, ref)
    if min_episodes is None:
        min_episodes = built_min_episodes(folder, art)
    report = audit_dataset(folder, min_episodes)
    print(report.text())
    print(f"(read-only: nothing in {folder} was moved or written; minimum episodes "
          f"{min_episodes})")
    return 0 if report.ok else 1


def built_min_episodes(folder: Path, art: Artifact | None) -> int:
    """The minimum episode count the dataset was built with (its manifest's config)."""
    manifest = art.manifest if art is not None else None
    if manifest is None and (folder / MANIFEST).is_file():
        manifest = json.loads((folder / MANIFEST).read_text())
    value = (manifest or {}).get("config", {}).get("min_episodes")
    if not isinstance(value, int):
        raise UsageError(f"{folder}: no build record with config.min_episodes (no "
                         f"{MANIFEST}); pass --min-episodes N")
    return value


def reevaluate(store: Store, artifact_id: str, episodes: int, scenario: str | None) -> dict:
    """Evaluate the artefact's policy on the audit purpose's episodes (harness.seeds): never
    episodes any stage of a study trained, selected or was evaluated on."""
    from harness.api import load_policy
    from harness.evaluate import evaluate
    from harness.seeds import evaluation_set
    from harness.spec.scenarios import load_scenario

    model = load_policy(artifact_id, store.root)
    art = store.find(artifact_id)
    name = scenario or art.manifest.get("scenario")
    if not name:
        raise StoreError(f"{art.path}/manifest.json: field 'scenario': expected a scenario name "
                         f"(or pass --scenario), found none")
    declared = _declared_family(store, art, name)
    return evaluate(model.policy, declared or load_scenario(name),
                    evaluation_set("audit_eval", 0, episodes).seeds()).to_json()


def _declared_family(store: Store, art, name: str):
    """The declared environment family ``name`` as the artefact (or the runs it was built from)
    recorded it in its config; None for the built-in simulator's scenarios."""
    from harness.envs import declared_family

    for a in [art, *(store.find(ref["id"]) for ref in art.manifest.get("inputs", []))]:
        family = declared_family(a.manifest.get("config", {}).get("scenario"))
        if family is not None and family.name == name:
            return family
    return None


if __name__ == "__main__":
    sys.exit(main())
