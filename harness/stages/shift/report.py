"""The shift experiment's section of the report."""

from __future__ import annotations

from harness.core.store import Artifact
from harness.names import ArmName
from harness.report import answers, figures
from harness.report.lookup import first_of
from harness.stages.shift.records import ShiftMetrics

SHIFT_ARMS = {ArmName.BASELINE: "baseline", ArmName.MATCHED: "matched-data arm",
              ArmName.SHIFTED: "shifted-data arm"}


def shift_section(study, artifacts: dict[str, Artifact]) -> dict | None:
    """The shift experiment as its artefact recorded it: every arm per family, the shifted-data
    arm's differences with intervals and verdicts, coverage and its gaps, the regressions."""
    sh = first_of(artifacts, "shift")
    if sh is None:
        return None
    m = ShiftMetrics.from_json(sh.metrics).to_json()
    families = list(next(iter(m["cells"].values())))
    success = {}
    for arm in (ArmName.BASELINE, ArmName.MATCHED, ArmName.SHIFTED):
        if arm != ArmName.BASELINE:
            success[f"bc ({arm} data)"] = {f: m["cells"][arm][f]["bc_success"] for f in families}
        label = "baseline" if arm == ArmName.BASELINE else f"fine-tuned ({arm} data)"
        success[label] = {f: m["cells"][arm][f]["final_success"] for f in families}
    flagged = [{"policy": "fine-tuned (shifted data)", "scenario": r["family"]}
               for r in m["regressions"]]
    return {"id": sh.id, "status": sh.status, **m, "families": families,
            "arm_names": SHIFT_ARMS,
            "figure": figures.shift_heatmap(success, flagged, len(m["seeds"]))}


def shift_answers(sh: dict) -> list[dict]:
    """Page one: does fine-tuning on data from other scenarios regress on the fine-tuning
    scenario's families; the worst difference against the matched-data arm either way."""
    diffs = [d for d in sh["differences"] if d["stage"] == "fine-tuned"
             and d["reference"] == ArmName.MATCHED]
    worst = min(diffs, key=lambda d: d["difference"]) if diffs else None
    where = ""
    if worst is not None:
        where = (f"; the largest fall against the matched-data arm: '{worst['family']}' "
                 f"{answers.rate(worst['success'])} vs {answers.rate(worst['reference_success'])},"
                 f" difference {answers.signed(worst['difference'], worst['ci'])} "
                 f"({worst['verdict']})")
    if sh["regressions"]:
        fams = ", ".join(f"'{r['family']}'" for r in sh["regressions"])
        text = (f"Regression: the shifted-data arm falls below the matched-data arm by more than "
                f"the margin ({sh['margin']}) on {fams}{where}.")
    else:
        text = (f"No regression beyond the margin ({sh['margin']}) on any of "
                f"{len(sh['families'])} families ({len(sh['seeds'])} seed(s), "
                f"{sh['episodes']} episodes per family){where}.")
    return [answers.answer("Distribution shift", text, criteria=["SHIFT"], artifact=sh["id"])]
