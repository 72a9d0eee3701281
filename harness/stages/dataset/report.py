"""The dataset stage's section of the report: the study dataset, its validation and inspection."""

from __future__ import annotations

import json

from harness.core.store import Artifact
from harness.report import figures
from harness.stages.dataset.records import DatasetMetrics


def dataset_section(study, artifacts: dict[str, Artifact]) -> dict | None:
    """The study's own dataset (the shift experiment's dataset is shown with the shift)."""
    names = [s.name for s in study.dataset.scenarios]
    datasets = [a for a in artifacts.values() if a.kind == "dataset"
                and a.manifest.get("scenarios") == names]
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
