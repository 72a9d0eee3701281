"""What an artefact says at a glance, from its manifest alone: the headline number of its kind
(``harness list``, the report's artefact index) and its key metrics with their intervals
(``harness show``). A kind without an entry, or a metric its manifest lacks, reads "-": nothing
here is computed that the manifest does not hold."""

from __future__ import annotations

from collections.abc import Callable

from harness.report.answers import rate

NONE = "-"


def _ci(value, ci) -> str:
    return rate(value, ci) if isinstance(ci, list | tuple) and len(ci) == 2 else rate(value)


def _final(summary: dict | None, label: str = "final") -> list[tuple[str, str]]:
    if not isinstance(summary, dict) or "success_rate" not in summary:
        return []
    return [(f"{label} success", _ci(summary["success_rate"], summary.get("success_ci"))),
            (f"{label} collision", _ci(summary["collision_rate"], summary.get("collision_ci"))),
            (f"{label} episodes", f"{summary.get('episodes', NONE)}")]


def _steps(value) -> str:
    return f"{value:,.0f}" if isinstance(value, int | float) else NONE


def _expert(m: dict) -> list[tuple[str, str]]:
    d = m.get("decision") or {}
    seeds = d.get("seeds") or []
    cells = d.get("families") or seeds
    out = [("seeds passing", f"{sum(1 for s in seeds if s.get('passed'))} of {len(seeds)}")]
    if cells:
        low = min(cells, key=lambda c: c["success_rate"])
        where = f"seed {low['seed']}" + (f", {low['family']}" if "family" in low else "")
        out.append(("worst success", f"{_ci(low['success_rate'], low.get('success_ci'))} "
                                     f"({where})"))
    if d.get("chosen_seed") is not None:
        out.append(("published policy", f"seed {d['chosen_seed']}"))
    return out


def _expert_run(m: dict) -> list[tuple[str, str]]:
    conv = m.get("converged_at")
    return [("converged at", _steps(conv) if conv is not None else "not converged"),
            ("steps trained", _steps(m.get("timesteps"))), *_final(m.get("final_eval"))]


def _dataset(m: dict) -> list[tuple[str, str]]:
    v = m.get("validation") or {}
    return [("episodes", _steps(m.get("episodes"))), ("transitions", _steps(m.get("steps"))),
            ("validation", f"{len(v.get('checks', []))} checks, {v.get('failures', NONE)} "
                           f"failure(s)" if v else NONE)]


def _inspection(m: dict) -> list[tuple[str, str]]:
    counts = m.get("anomaly_counts") or {}
    return [("replay", f"{m.get('replayed_episodes', NONE)} episodes re-simulated, "
                       f"{m.get('replay_mismatches', NONE)} mismatched"),
            ("anomalies", ", ".join(f"{k} {v}" for k, v in counts.items()) or NONE)]


def _arm_run(m: dict) -> list[tuple[str, str]]:
    t = m.get("time_to_target")
    return [("time to target", "censored" if m.get("censored") else _steps(t)),
            ("steps trained", _steps(m.get("timesteps"))), *_final(m.get("final_eval"))]


def _arm_target(m: dict) -> list[tuple[str, str]]:
    return [("confirmed T", "censored" if m.get("censored") else _steps(m.get("time_to_target"))),
            ("arm, seed", f"{m.get('arm', NONE)}, {m.get('seed', NONE)}"),
            ("confirmation cost", _steps(m.get("confirmation_steps")) + " evaluation steps")]


def _comparison(m: dict) -> list[tuple[str, str]]:
    ratios, times = [], []
    for name, r in (m.get("arms") or {}).items():
        if "ratio" in r and "ratio_ci" in r:
            lo, hi = r["ratio_ci"]
            ratios.append((f"{name} ratio", f"{r['ratio']:.3f} [{lo:.3f}, {hi:.3f}] (IQM T "
                                            f"{_steps(r.get('iqm_time'))})"))
        else:
            times.append((f"{name} IQM T", _steps(r.get("iqm_time"))))
    return ratios + times


def _shift(m: dict) -> list[tuple[str, str]]:
    regs = m.get("regressions")
    return [("regressions", ", ".join(r["family"] for r in regs) if regs else "none"),
            ("margin", str(m.get("margin", NONE))), ("seeds", str(len(m.get("seeds") or [])))]


def _shift_run(m: dict) -> list[tuple[str, str]]:
    finals = m.get("final_success") or {}
    return [("final success", ", ".join(f"{f} {rate(v)}" for f, v in finals.items()) or NONE),
            ("arm, seed", f"{m.get('arm', NONE)}, {m.get('seed', NONE)}")]


def _size_study(m: dict) -> list[tuple[str, str]]:
    out = []
    for arm, n in (m.get("needed") or {}).items():
        out.append((f"{arm} needs", f"{n['episodes']} episodes" if n.get("episodes")
                    else "none of the sizes"))
    return out


def _regime_map(m: dict) -> list[tuple[str, str]]:
    return [(r.get("regime", NONE), r.get("pays", NONE)) for r in m.get("rows") or []]


KINDS: dict[str, Callable[[dict], list[tuple[str, str]]]] = {
    "expert": _expert, "expert_run": _expert_run, "dataset": _dataset,
    "dataset_subset": _dataset, "dataset_inspection": _inspection, "arm_run": _arm_run,
    "shift_run": _shift_run, "arm_target": _arm_target, "comparison": _comparison,
    "shift": _shift, "size_study": _size_study, "regime_map": _regime_map,
}
"""Each kind's key metrics, most telling first (the headline is the first)."""


def key_metrics(manifest: dict) -> list[tuple[str, str]]:
    """The artefact's key metrics as (label, text); empty for a kind without an entry or a
    manifest whose metrics are not what its kind records."""
    fn = KINDS.get(manifest.get("kind", ""))
    try:
        return fn(manifest.get("metrics") or {}) if fn else []
    except (KeyError, TypeError, ValueError, AttributeError):
        return []


def headline(manifest: dict) -> str:
    """The first key metric, "label value" ("-" when there is none)."""
    metrics = key_metrics(manifest)
    return f"{metrics[0][0]} {metrics[0][1]}" if metrics else NONE
