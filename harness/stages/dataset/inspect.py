"""Inspection artefact of a dataset: playback GIFs with replay checks, analytics and figures."""

from __future__ import annotations

import json

from harness.core.store import Artifact, Build, Store
from harness.nav.outcomes import FINAL_OUTCOMES
from harness.stages.dataset.analytics import analyse
from harness.stages.dataset.playback import is_replayable, playback
from harness.stages.dataset.records import InspectionMetrics, PlaybackRow

ANALYTICS_VERSION = 4  # 4: playback also writes MP4; declared environments
"""Part of the inspection artefact's identity: bump when analytics change what they compute."""


def pick_episodes(analytics: dict, n: int) -> list[int]:
    """Episodes worth watching. Of a dataset over several families: one per family first (a
    failure of the family where it has one, so that failures are seen where they happen);
    then one per outcome present, then anomalies, then the rest."""
    rows = analytics["episodes_table"]
    chosen: list[int] = []
    families = list(dict.fromkeys(r["scenario"] for r in rows))
    if len(families) > 1:
        for family in families:
            own = [r for r in rows if r["scenario"] == family]
            failed = [r for r in own if r["outcome"] != "success"]
            chosen.append((failed or own)[0]["episode"])
    for outcome in FINAL_OUTCOMES:
        for r in rows:
            if r["outcome"] == outcome and r["episode"] not in chosen:
                chosen.append(r["episode"])
                break
    for r in rows:
        if r["anomalies"] and r["episode"] not in chosen:
            chosen.append(r["episode"])
    for r in rows:
        if r["episode"] not in chosen:
            chosen.append(r["episode"])
    return chosen[:n]


def inspect_dataset(dataset: Artifact, episodes: int, store: Store) -> Artifact:
    def build(b: Build) -> None:
        stats = analyse(dataset.path, replay=True)
        picked = pick_episodes(stats, episodes)
        rows = playback(dataset.path, picked, b.dir / "playback")
        for r in rows:  # paths relative to the artefact folder
            for key in ("gif", "mp4", "final_frame"):
                if r.get(key):
                    r[key] = "playback/" + r[key].rsplit("/", 1)[-1]
        replayable = is_replayable(dataset.path)
        (b.dir / "analytics.json").write_text(json.dumps(stats, indent=1))
        (b.dir / "playback.json").write_text(json.dumps(rows, indent=1))
        b.metrics = InspectionMetrics(
            anomaly_counts=stats["anomaly_counts"], outcomes=stats["outcomes"],
            replay_matches=sum(bool(r["matches"]) for r in rows),
            replayed_episodes=stats["episodes"] if replayable else 0,
            replay_mismatches=stats["anomaly_counts"]["replay_mismatch"],
            playback=[PlaybackRow(**{k: r.get(k) for k in ("episode", "seed", "outcome_recorded",
                                                           "matches", "gif", "mp4")})
                      for r in rows],
            replayable=None if replayable else False,
        ).to_json()
        b.extra = {"dataset_id": dataset.manifest["dataset"]["dataset_id"]}

    return store.get_or_build("dataset_inspection", {"stage": "dataset_inspection",
                                                    "version": ANALYTICS_VERSION,
                                                    "episodes": episodes}, [], build,
                              inputs=[dataset])
