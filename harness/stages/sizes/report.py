"""The size study's section of the report."""

from __future__ import annotations

from harness.core.store import Artifact
from harness.names import ArmName
from harness.report import figures
from harness.report.lookup import first_of
from harness.stages.sizes.records import SizeStudyMetrics


def size_section(study, artifacts: dict[str, Artifact]) -> dict | None:
    """The dataset-size study as its artefact recorded it (criteria from its config)."""
    art = first_of(artifacts, "size_study")
    if art is None:
        return None
    cfg = art.manifest["config"]
    m = SizeStudyMetrics.from_json(art.metrics).to_json()
    return {"id": art.id, "config": cfg, **m,
            "arms": [a for a in m["sizes"][0]["arms"] if a != ArmName.BASELINE],
            "figure": figures.size_study(m["sizes"], cfg["budget"])}
