"""The dataset stage's section of the report: the study dataset, its validation and inspection."""

from __future__ import annotations

import json

from harness.core.store import Artifact
from harness.report import answers, figures
from harness.stages.dataset.records import DatasetMetrics


def dataset_section(study, artifacts: dict[str, Artifact]) -> dict | None:
    """The study's own dataset: recorded on its scenarios from its own seed stream (the shift
    experiment's and the degraded demonstrators' datasets, on the same scenarios, are shown
    with their experiments)."""
    names = [s.name for s in study.dataset.scenarios]
    datasets = [a for a in artifacts.values() if a.kind == "dataset"
                and a.manifest.get("scenarios") == names
                and a.manifest["config"].get("stream") == study.dataset.stream]
    if not datasets:
        return None
    ds = datasets[0]
    insp = next((a for a in artifacts.values() if a.kind == "dataset_inspection"
                 and any(r["id"] == ds.id for r in a.manifest["inputs"])), None)
    meta = ds.manifest["dataset"]
    dm = DatasetMetrics.from_json(ds.metrics)
    out = {"id": ds.id, "dataset_id": meta["dataset_id"], "episodes": dm.episodes,
           "steps": dm.steps, "coverage": dm.coverage,
           "validation": dm.validation.to_json(), "expert": meta["expert"],
           "deterministic": meta["deterministic_actions"], "sha256": meta["data_sha256"],
           "created": meta["created"], "contract": meta["observation_contract"],
           "path": str(ds.path), "inspection": None}
    if insp is not None:
        stats = json.loads(insp.file("analytics.json").read_text())
        playback = json.loads(insp.file("playback.json").read_text())
        anomalous = [r for r in stats["episodes_table"] if r["anomalies"]]
        out["inspection"] = {
            "id": insp.id, "figure": figures.dataset_analytics(stats),
            "anomaly_counts": stats["anomaly_counts"], "replayed": stats["episodes"],
            "anomalous": anomalous[:15], "anomalous_total": len(anomalous),
            "playback": [{**r, "image": figures.image_uri(insp.path / r["final_frame"])
                          if r.get("final_frame") else None} for r in playback],
            "return": stats["return"], "length": stats["length"],
            "by_family": stats.get("by_family", {}) if len(stats.get("by_family", {})) > 1
            else {}}
    return out


def dataset_answers(ds: dict) -> list[dict]:
    """Page one: the dataset's size, provenance, validation and replay."""
    v = ds["validation"]
    text = (f"{ds['episodes']:,} episodes ({ds['steps']:,} transitions) recorded by expert "
            f"{ds['expert']['id']} (seed {ds['expert']['chosen_seed']}, "
            f"{'deterministic' if ds['deterministic'] else 'stochastic'} actions); validation: "
            f"{len(v['checks'])} checks, {v['failures']} failure(s)")
    insp = ds["inspection"]
    if insp is not None:
        mismatched = insp["anomaly_counts"].get("replay_mismatch", 0)
        text += (f"; replay: {insp['replayed'] - mismatched} of {insp['replayed']} episodes "
                 f"reproduced exactly by the simulator; {insp['anomalous_total']} episode(s) "
                 f"flagged by the analytics")
    return [answers.answer("Dataset", text + ".", criteria=["SC-002", "SC-002m", "SC-002r"],
                           artifact=ds["id"])]
