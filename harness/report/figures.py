"""Report figures (matplotlib, Agg): every figure with axes, units, legend and seed count."""

from __future__ import annotations

import base64
import io

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from harness.names import ArmName  # noqa: E402

plt.rcParams.update({"font.size": 8, "axes.titlesize": 9, "axes.labelsize": 8,
                     "legend.fontsize": 7, "figure.dpi": 150})


def to_data_uri(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def learning_curves(curves: dict[int, list[dict]], success: float, collision: float,
                    converged: dict[int, int | None], title: str) -> str:
    """Success and collision rate vs online env steps, one line per seed, thresholds dashed."""
    fig, axes = plt.subplots(1, 2, figsize=(7.2, 2.6))
    for seed, curve in sorted(curves.items()):
        x = [r["timesteps"] / 1e6 for r in curve]
        line, = axes[0].plot(x, [r["success_rate"] for r in curve], marker=".", ms=3,
                             label=f"seed {seed}")
        axes[1].plot(x, [r["collision_rate"] for r in curve], marker=".", ms=3,
                     color=line.get_color(), label=f"seed {seed}")
        if converged.get(seed) is not None:
            for ax in axes:
                ax.axvline(converged[seed] / 1e6, color=line.get_color(), lw=0.8, ls=":")
    axes[0].axhline(success, color="k", ls="--", lw=0.8, label=f"threshold {success:.2f}")
    axes[1].axhline(collision, color="k", ls="--", lw=0.8, label=f"limit {collision:.2f}")
    axes[0].set_ylabel("success rate (fraction of episodes)")
    axes[1].set_ylabel("collision rate (fraction of episodes)")
    for ax in axes:
        ax.set_xlabel("online environment steps (millions)")
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
        ax.legend(loc="best")
    fig.suptitle(f"{title} (n = {len(curves)} seeds; dotted: convergence)")
    fig.tight_layout()
    return to_data_uri(fig)


def family_curves(curves: dict[int, list[dict]], success: float, collision: float,
                  families: list[str], title: str) -> str:
    """Per family (one column each): success (top) and collision (bottom) vs online steps, one
    line per seed, the thresholds dashed; each point is that family's own episodes."""
    fig, axes = plt.subplots(2, len(families), figsize=(7.2, 3.6), sharex=True, sharey="row",
                             squeeze=False)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for j, family in enumerate(families):
        for k, (seed, curve) in enumerate(sorted(curves.items())):
            rows = [r for r in curve if family in (r.get("families") or {})]
            x = [r["timesteps"] / 1e6 for r in rows]
            c = colours[k % len(colours)]
            axes[0, j].plot(x, [r["families"][family]["success_rate"] for r in rows], lw=1,
                            color=c, label=f"seed {seed}")
            axes[1, j].plot(x, [r["families"][family]["collision_rate"] for r in rows], lw=1,
                            color=c)
        axes[0, j].axhline(success, color="k", ls="--", lw=0.8)
        axes[1, j].axhline(collision, color="k", ls="--", lw=0.8)
        axes[0, j].set_title(family, fontsize=8)
        axes[1, j].set_xlabel("steps (M)", fontsize=7)
        for ax in axes[:, j]:
            ax.grid(alpha=0.3)
            ax.tick_params(labelsize=6)
    axes[0, 0].set_ylim(-0.02, 1.02)
    axes[1, 0].set_ylim(-0.01, max(0.3, 2 * collision))
    axes[0, 0].set_ylabel("success", fontsize=7)
    axes[1, 0].set_ylabel("collision", fontsize=7)
    axes[0, 0].legend(fontsize=6, loc="lower right")
    fig.suptitle(f"{title}: per family (dashed: gate {success:.2f} / {collision:.2f})",
                 fontsize=9)
    fig.tight_layout()
    return to_data_uri(fig)


def dataset_analytics(stats: dict) -> str:
    """Return and length histograms, outcome counts, action histograms, minimum clearance."""
    rows = stats["episodes_table"]
    fig, axes = plt.subplots(2, 3, figsize=(7.2, 4.2))
    ax = axes[0, 0]
    ax.hist([r["return"] for r in rows], bins=30, color="#4c72b0")
    ax.set_xlabel("episode return (reward units)")
    ax.set_ylabel("episodes")
    ax.set_title("return")
    ax = axes[0, 1]
    ax.hist([r["length"] for r in rows], bins=30, color="#55a868")
    ax.set_xlabel("episode length (steps)" if stats.get("action_panels") else
                  "episode length (steps of 0.1 s)")
    ax.set_ylabel("episodes")
    ax.set_title("length")
    ax = axes[0, 2]
    names = list(stats["outcomes"])
    ax.bar(names, [stats["outcomes"][n] for n in names], color=["#55a868", "#c44e52", "#8172b2"])
    ax.set_ylabel("episodes")
    ax.set_title("outcomes")
    panels = stats.get("action_panels")
    if panels is None:  # the built-in simulator: (v, omega) in [-1, 1]
        hist = stats["action_histogram"]
        panels = [{"title": f"action: {key}", "label": label, "edges": hist["edges"],
                   "counts": hist[key]}
                  for key, label in (("v", "linear command v / v_max"),
                                     ("omega", "angular command omega / omega_max"))]
    for ax, panel in zip((axes[1, 0], axes[1, 1]), [*panels, None][:2], strict=True):
        if panel is None:
            ax.axis("off")
            continue
        edges = panel["edges"]
        centers = [(a + b) / 2 for a, b in zip(edges[:-1], edges[1:], strict=True)]
        ax.bar(centers, panel["counts"], width=edges[1] - edges[0], color="#dd8452")
        ax.set_xlabel(panel["label"])
        ax.set_ylabel("steps")
        ax.set_title(panel["title"])
    ax = axes[1, 2]
    clearance = [r["min_clearance"] for r in rows if np.isfinite(r["min_clearance"])]
    if clearance:
        ax.hist(clearance, bins=30, color="#937860")
        ax.set_xlabel("minimum clearance (m)")
        ax.set_ylabel("episodes")
        ax.set_title("closest approach")
    else:
        ax.axis("off")
        ax.text(0.5, 0.5, "clearance: not measured\nby this environment", ha="center",
                va="center", fontsize=8)
    fig.suptitle(f"Dataset analytics (n = {len(rows)} episodes, {stats['steps']:,} steps)")
    fig.tight_layout()
    return to_data_uri(fig)


def image_uri(path) -> str:
    import base64
    from pathlib import Path

    return "data:image/png;base64," + base64.b64encode(Path(path).read_bytes()).decode()


ARM_COLOURS = {ArmName.BASELINE: "#4c72b0", ArmName.PRETRAINED: "#dd8452",
               ArmName.NAIVE: "#55a868", ArmName.SHIFTED: "#8172b2"}


def bc_losses(curves: dict[int, list[dict]]) -> str:
    """BC train/validation negative log-likelihood and policy entropy per epoch, every seed."""
    fig, axes = plt.subplots(1, 2, figsize=(7.2, 2.4))
    for i, (_seed, curve) in enumerate(sorted(curves.items())):
        ep = [r["epoch"] for r in curve]
        axes[0].plot(ep, [r["train_nll"] for r in curve], color="#4c72b0", alpha=0.5,
                     label="train" if i == 0 else None)
        axes[0].plot(ep, [r["val_nll"] for r in curve], color="#c44e52", alpha=0.5,
                     label="validation (held-out episodes)" if i == 0 else None)
        axes[1].plot(ep, [r["entropy"] for r in curve], color="#55a868", alpha=0.5,
                     label="policy entropy" if i == 0 else None)
        kept = [r for r in curve if r.get("kept")]
        axes[0].scatter([r["epoch"] for r in kept], [r["val_nll"] for r in kept], s=12,
                        color="black", zorder=3, label="kept epoch" if i == 0 else None)
    axes[0].set_ylabel("negative log-likelihood (nats / action)")
    axes[1].set_ylabel("entropy (nats)")
    for ax in axes:
        ax.set_xlabel("BC epoch")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(f"Behaviour cloning (n = {len(curves)} seeds, one line per seed)")
    fig.tight_layout()
    return to_data_uri(fig)


def arm_curves(curves: dict[str, dict[int, list[dict]]], target: float, budget: int,
               marks: dict[str, float] | None = None) -> str:
    """Success vs online steps per arm: mean over seeds, 95% percentile band, seeds faint;
    ``marks``: each arm's IQM time to target, a dotted vertical line in its colour."""
    fig, ax = plt.subplots(figsize=(7.2, 3.0))
    for arm, by_seed in curves.items():
        colour = ARM_COLOURS.get(arm, "#333333")
        grid = np.array(sorted({r["timesteps"] for c in by_seed.values() for r in c}))
        ys = np.array([np.interp(grid, [r["timesteps"] for r in c],
                                 [r["success_rate"] for r in c]) for c in by_seed.values()])
        for y in ys:
            ax.plot(grid / 1e3, y, color=colour, alpha=0.15, lw=0.7)
        lo, hi = np.percentile(ys, [2.5, 97.5], axis=0)
        ax.fill_between(grid / 1e3, lo, hi, color=colour, alpha=0.2)
        ax.plot(grid / 1e3, ys.mean(axis=0), color=colour, lw=1.8,
                label=f"{arm} (mean of {len(ys)} seeds)")
        if marks is not None and arm in marks:
            ax.axvline(marks[arm] / 1e3, color=colour, ls=":", lw=1.4,
                       label=f"{arm}: IQM T = {marks[arm]:,.0f}")
    ax.axhline(target, color="k", ls="--", lw=0.8, label=f"target success {target:.2f}")
    ax.set_xlim(0, budget / 1e3)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("online environment steps (thousands)")
    ax.set_ylabel("evaluation success rate")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    ax.set_title("Learning curves per arm (band: 2.5-97.5 percentile over seeds)")
    fig.tight_layout()
    return to_data_uri(fig)


def time_to_target(arms: dict[str, dict], budget: int) -> str:
    """Time to target per matched seed as paired dots: one column per arm, one grey line per
    seed joining its runs; hollow markers are censored at the budget; each arm's IQM a bar."""
    names = list(arms)
    seeds = arms[names[0]]["seeds"]
    fig, ax = plt.subplots(figsize=(7.2, 2.8))
    t = np.array([arms[n]["time_to_target"] for n in names], dtype=float) / 1e3
    jitter = np.linspace(-0.08, 0.08, len(seeds)) if len(seeds) > 1 else np.zeros(1)
    for j in range(len(seeds)):
        ax.plot(np.arange(len(names)) + jitter[j], t[:, j], color="#999999", lw=0.7,
                alpha=0.7, zorder=1)
    for k, name in enumerate(names):
        row = arms[name]
        colour = ARM_COLOURS.get(name, "#333333")
        cens = np.array(row["censored"], dtype=bool)
        ax.scatter(k + jitter[~cens], t[k][~cens], color=colour, s=16, zorder=3)
        if cens.any():
            ax.scatter(k + jitter[cens], t[k][cens], facecolors="none", edgecolors=colour,
                       s=22, zorder=3, label="censored at the budget" if k == 0 else None)
        ax.hlines(row["iqm_time"] / 1e3, k - 0.25, k + 0.25, color=colour, lw=2.2, zorder=2)
        ax.annotate(f"IQM {row['iqm_time'] / 1e3:,.1f}k", (k + 0.27, row["iqm_time"] / 1e3),
                    fontsize=6, va="center", color=colour)
    ax.axhline(budget / 1e3, color="k", ls=":", lw=0.8, label="budget")
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names)
    ax.set_xlim(-0.5, len(names) - 0.2)
    ax.set_ylim(-budget / 1e3 * 0.03, budget / 1e3 * 1.05)
    ax.set_ylabel("time to target (thousand steps)")
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=6, loc="upper right")
    ax.set_title(f"Time to target per matched seed (n = {len(seeds)}; a line per seed, "
                 f"bars: IQM)")
    fig.tight_layout()
    return to_data_uri(fig)


def ratio_forest(arms: dict[str, dict], ratio_max: float) -> str:
    """IQM ratio with its 95% bootstrap interval per pre-trained arm, thresholds marked."""
    rows = [(n, r) for n, r in arms.items() if n != ArmName.BASELINE]
    fig, ax = plt.subplots(figsize=(7.2, 0.5 + 0.45 * len(rows)))
    for i, (name, r) in enumerate(rows):
        lo, hi = r["ratio_ci"]
        ax.errorbar(r["ratio"], i, xerr=[[r["ratio"] - lo], [hi - r["ratio"]]], fmt="o",
                    color=ARM_COLOURS.get(name, "#333333"), capsize=3)
        ax.scatter(r["per_seed_ratio"], [i] * len(r["per_seed_ratio"]), s=8, alpha=0.4,
                   color=ARM_COLOURS.get(name, "#333333"))
    ax.axvline(ratio_max, color="#c44e52", ls="--", lw=0.8, label=f"criterion {ratio_max}")
    ax.axvline(1.0, color="k", ls=":", lw=0.8, label="no gain (1.0)")
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([n for n, _ in rows])
    ax.set_xlabel("IQM(T arm) / IQM(T baseline)  (dots: per-seed ratios)")
    ax.set_xlim(0, max(1.1, max(max(r["per_seed_ratio"]) for _, r in rows) * 1.05))
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.legend(loc="lower right", fontsize=6)
    ax.grid(alpha=0.3, axis="x")
    fig.tight_layout()
    return to_data_uri(fig)


def shift_heatmap(success: dict[str, dict[str, float]], flagged: list[dict], seeds: int) -> str:
    """Success of every policy (rows) on every scenario family (columns); flagged cells boxed."""
    policies = list(success)
    families = list(next(iter(success.values())))
    m = np.array([[success[p][f] for f in families] for p in policies])
    fig, ax = plt.subplots(figsize=(7.2, 0.6 + 0.42 * len(policies)))
    im = ax.imshow(m, cmap="RdYlGn", vmin=0, vmax=1, aspect="auto")
    for i in range(len(policies)):
        for j in range(len(families)):
            ax.text(j, i, f"{m[i, j]:.2f}", ha="center", va="center", fontsize=7)
    for r in flagged:
        i, j = policies.index(r["policy"]), families.index(r["scenario"])
        ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, ec="k", lw=2))
    ax.set_xticks(range(len(families)))
    ax.set_xticklabels(families)
    ax.set_yticks(range(len(policies)))
    ax.set_yticklabels(policies)
    ax.set_xlabel("evaluation scenario family")
    fig.colorbar(im, ax=ax, label="success rate", fraction=0.03)
    ax.set_title(f"Evaluation matrix (mean over {seeds} seeds; boxed: regression)")
    fig.tight_layout()
    return to_data_uri(fig)


def size_study(rows: list[dict], budget: int) -> str:
    """Left: online steps to target (IQM, 95% bootstrap band over seeds) against demonstration
    episodes (log scale), one line per pre-trained arm, the baseline as a horizontal band (its
    runs of the largest size's seeds). Right: the largest drop below the BC policy per seed
    (points) and its mean (line), per arm. Censored runs enter at the budget."""
    fig, axes = plt.subplots(1, 2, figsize=(7.2, 2.9))
    sizes = [r["episodes"] for r in rows]
    arms = [a for a in rows[0]["arms"] if a != ArmName.BASELINE]
    base = rows[-1]
    lo, hi = base["iqm_time_ci"][ArmName.BASELINE]
    ax = axes[0]
    ax.axhspan(lo / 1e3, hi / 1e3, color=ARM_COLOURS[ArmName.BASELINE], alpha=0.2)
    ax.axhline(base["arms"][ArmName.BASELINE]["iqm_time"] / 1e3, lw=1.5,
               color=ARM_COLOURS[ArmName.BASELINE],
               label=f"baseline (PPO from scratch, {len(base['seeds'])} seeds)")
    for k, arm in enumerate(arms):
        colour = ARM_COLOURS.get(arm, "#333333")
        x = np.array(sizes, dtype=float) * (1.0 + 0.04 * (k - (len(arms) - 1) / 2))
        y = np.array([r["arms"][arm]["iqm_time"] for r in rows]) / 1e3
        band = np.array([r["iqm_time_ci"][arm] for r in rows]) / 1e3
        ax.fill_between(x, band[:, 0], band[:, 1], color=colour, alpha=0.2)
        ax.plot(x, y, marker="o", ms=3, color=colour, label=arm)
    ax.axhline(budget / 1e3, color="k", ls=":", lw=0.8, label="budget (censored)")
    _size_axis(ax, sizes, "online steps to target, IQM (thousands)")
    ax = axes[1]
    for k, arm in enumerate(arms):
        colour = ARM_COLOURS.get(arm, "#333333")
        for j, r in enumerate(rows):
            drops = r["arms"][arm]["unlearning_drop"]
            x = np.full(len(drops), sizes[j] * (1.0 + 0.06 * (k - (len(arms) - 1) / 2)))
            ax.scatter(x, drops, s=6, color=colour, alpha=0.5)
        ax.plot(sizes, [np.mean(r["arms"][arm]["unlearning_drop"]) for r in rows],
                marker="o", ms=3, color=colour, label=f"{arm} (mean; points: seeds)")
    ax.axhline(0.0, color="k", lw=0.6)
    _size_axis(ax, sizes, "largest drop below BC success")
    fig.suptitle("How many demonstrations? (matched seeds; bands: 95% bootstrap over seeds)",
                 fontsize=9)
    fig.tight_layout()
    return to_data_uri(fig)


def _size_axis(ax, sizes: list[int], ylabel: str) -> None:
    """A size-study panel's axes: demonstration episodes on a log scale, ticks at the sizes."""
    ax.set_xscale("log")
    ax.set_xticks(sizes)
    ax.set_xticklabels([str(s) for s in sizes], fontsize=7)
    ax.set_xlabel("demonstration episodes (log scale)")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=6)


def regime_map(rows: list[dict], ratio_max: float) -> str:
    """The map of where pre-training pays: per regime (the size study's sizes included), the
    IQM ratio of each pre-trained arm with its 95% interval (left), and final success of every
    arm (right); one line per regime, labelled with what it is."""
    arms = [a for a in rows[0]["arms"] if a != ArmName.BASELINE]
    fig, axes = plt.subplots(1, 2, figsize=(7.2, 0.8 + 0.42 * len(rows)), sharey=True,
                             gridspec_kw={"width_ratios": [3, 2]})
    offsets = np.linspace(-0.15, 0.15, len(arms)) if len(arms) > 1 else [0.0]
    for i, row in enumerate(rows):
        for off, name in zip(offsets, arms, strict=True):
            r = row["arms"][name]
            lo, hi = r["ratio_ci"]
            axes[0].errorbar(r["ratio"], i + off, xerr=[[r["ratio"] - lo], [hi - r["ratio"]]],
                             fmt="o", ms=3, capsize=2, color=ARM_COLOURS.get(name, "#333333"),
                             label=name if i == 0 else None)
        for off, name in zip(np.linspace(-0.2, 0.2, len(row["arms"])), row["arms"],
                             strict=True):
            r = row["arms"][name]
            mean, lo, hi = r["final_success_mean_ci"]
            axes[1].errorbar(mean, i + off, xerr=[[mean - lo], [hi - mean]], fmt="s", ms=3,
                             capsize=2, color=ARM_COLOURS.get(name, "#333333"),
                             label=name if i == 0 else None)
    axes[0].axvline(ratio_max, color="#c44e52", ls="--", lw=0.8, label=f"SC-003 {ratio_max}")
    axes[0].axvline(1.0, color="k", ls=":", lw=0.8)
    axes[0].set_yticks(range(len(rows)))
    axes[0].set_yticklabels([r["short"] for r in rows], fontsize=7)
    axes[0].invert_yaxis()
    axes[0].set_xlabel("IQM(T arm) / IQM(T baseline), 95% CI")
    axes[1].set_xlabel("final success, mean over seeds, 95% CI")
    for ax in axes:
        ax.grid(alpha=0.3, axis="x")
        ax.legend(loc="lower right", fontsize=6)
    fig.suptitle("Where pre-training pays: ratio (left, lower is faster) and final success")
    fig.tight_layout()
    return to_data_uri(fig)


def family_gate_heatmap(gate: dict, success: float, collision: float) -> str:
    """The per-family gate as a family x seed heat map: colour = final success, each cell
    annotated with success and collision; a cell failing the gate is boxed."""
    seeds, rows = gate["seeds"], gate["rows"]
    m = np.full((len(rows), len(seeds)), np.nan)
    fig, ax = plt.subplots(figsize=(7.2, 0.7 + 0.38 * len(rows)))
    for i, r in enumerate(rows):
        for j, c in enumerate(r["cells"]):
            if c is not None:
                m[i, j] = c["success_rate"]
    im = ax.imshow(m, cmap="RdYlGn", vmin=0.5, vmax=1.0, aspect="auto")
    for i, r in enumerate(rows):
        for j, c in enumerate(r["cells"]):
            if c is None:
                ax.text(j, i, "not evaluated", ha="center", va="center", fontsize=6)
                continue
            ax.text(j, i, f"{c['success_rate']:.3f} / {c['collision_rate']:.3f}", ha="center",
                    va="center", fontsize=6.5)
            if c["success_rate"] < success or c["collision_rate"] > collision:
                ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, ec="k", lw=2))
    ax.set_xticks(range(len(seeds)))
    ax.set_xticklabels([f"seed {s}" for s in seeds], fontsize=7)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([r["family"] for r in rows], fontsize=7)
    fig.colorbar(im, ax=ax, label="final success", fraction=0.03)
    ax.set_title(f"Per-family gate: final success / collision per (family, seed); boxed: "
                 f"outside success >= {success}, collision <= {collision}")
    fig.tight_layout()
    return to_data_uri(fig)
