"""Command line for audits: ``python -m harness <command>`` (also installed as ``harness``).

    harness list [--kind expert]          every published artefact: id, status, created, path
    harness show <id>                     its manifest (JSON)
    harness evaluate <id> [--episodes N]  re-evaluate a stored policy on fresh evaluation seeds
    harness validate <dataset id|folder>  validate a dataset; on failure quarantine it, exit 1
    harness playback <dataset id|folder> --episodes 0 7 --out DIR
                                          render episodes to GIF and replay-check them
    harness analytics <dataset id|folder> analytics with per-episode anomaly flags (JSON)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from harness.api import open_store
from harness.store import StoreError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="harness", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--artifacts-dir", default=None, help="store root (default artifacts/)")
    sub = parser.add_subparsers(dest="command", required=True)
    p_list = sub.add_parser("list", help="list published artefacts")
    p_list.add_argument("--kind", default=None)
    p_show = sub.add_parser("show", help="print an artefact's manifest")
    p_show.add_argument("id")
    p_eval = sub.add_parser("evaluate", help="re-evaluate a stored policy")
    p_eval.add_argument("id")
    p_eval.add_argument("--episodes", type=int, default=200)
    p_eval.add_argument("--scenario", default=None, help="default: the artefact's scenario")
    p_val = sub.add_parser("validate", help="validate a dataset (quarantine on failure)")
    p_val.add_argument("dataset")
    p_val.add_argument("--min-episodes", type=int, default=200)
    p_val.add_argument("--no-quarantine", action="store_true")
    p_play = sub.add_parser("playback", help="render dataset episodes and replay-check them")
    p_play.add_argument("dataset")
    p_play.add_argument("--episodes", type=int, nargs="+", default=[0])
    p_play.add_argument("--out", default="playback")
    p_an = sub.add_parser("analytics", help="dataset analytics and anomaly flags")
    p_an.add_argument("dataset")
    args = parser.parse_args(argv)
    store = open_store(args.artifacts_dir)
    try:
        if args.command == "list":
            for art in store.list(args.kind):
                print(f"{art.id:40s} {art.status:14s} {art.manifest['created']:30s} {art.path}")
        elif args.command == "show":
            print(json.dumps(store.find(args.id).manifest, indent=2))
        elif args.command == "evaluate":
            print(json.dumps(reevaluate(store, args.id, args.episodes, args.scenario), indent=2))
        elif args.command == "validate":
            return validate(store, args.dataset, args.min_episodes, not args.no_quarantine)
        elif args.command == "playback":
            from harness.datasets.playback import playback

            rows = playback(dataset_path(store, args.dataset), args.episodes, Path(args.out))
            print(json.dumps(rows, indent=2))
            return 0 if all(r["matches"] for r in rows) else 1
        elif args.command == "analytics":
            from harness.datasets.analytics import analyse

            print(json.dumps(analyse(dataset_path(store, args.dataset)), indent=2))
    except StoreError as exc:
        print(f"harness: {exc}", file=sys.stderr)
        return 2
    return 0


def dataset_path(store, ref: str) -> Path:
    """A dataset artefact id, or a folder holding ``data/``."""
    path = Path(ref)
    if (path / "data").is_dir():
        return path
    return store.find(ref).path


def validate(store, ref: str, min_episodes: int, quarantine: bool) -> int:
    from harness.datasets.stage import validate_and_quarantine

    folder = dataset_path(store, ref)
    report, moved = validate_and_quarantine(folder, store if quarantine else None, min_episodes)
    print(report.text())
    if moved is not None:
        print(f"quarantined to {moved} (validation.json and validation.txt inside)")
    return 0 if report.ok else 1


def reevaluate(store, artifact_id: str, episodes: int, scenario: str | None) -> dict:
    """Evaluate the artefact's policy on the audit purpose's episodes (harness.seeds): never
    episodes any stage of a study trained, selected or was evaluated on."""
    from harness.api import load_policy
    from harness.evaluate import evaluate
    from harness.seeds import evaluation_set
    from harness.spec.scenarios import load_scenario

    art = store.find(artifact_id)
    name = scenario or art.manifest.get("scenario")
    if not name:
        raise StoreError(f"{art.path}/manifest.json: field 'scenario': expected a scenario name "
                         f"(or pass --scenario), found none")
    model = load_policy(artifact_id, store.root)
    seeds = evaluation_set("audit_eval", 0, episodes).seeds()
    return evaluate(model.policy, load_scenario(name), seeds)


if __name__ == "__main__":
    sys.exit(main())
