"""Report figures (matplotlib, Agg): every figure with axes, units, legend and seed count."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

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
    ax.set_xlabel("episode length (steps of 0.1 s)")
    ax.set_ylabel("episodes")
    ax.set_title("length")
    ax = axes[0, 2]
    names = list(stats["outcomes"])
    ax.bar(names, [stats["outcomes"][n] for n in names], color=["#55a868", "#c44e52", "#8172b2"])
    ax.set_ylabel("episodes")
    ax.set_title("outcomes")
    hist = stats["action_histogram"]
    centers = [(a + b) / 2 for a, b in zip(hist["edges"][:-1], hist["edges"][1:], strict=True)]
    width = hist["edges"][1] - hist["edges"][0]
    for ax, key, label in ((axes[1, 0], "v", "linear command v / v_max"),
                           (axes[1, 1], "omega", "angular command omega / omega_max")):
        ax.bar(centers, hist[key], width=width, color="#dd8452")
        ax.set_xlabel(label)
        ax.set_ylabel("steps")
        ax.set_title(f"action: {key}")
    ax = axes[1, 2]
    ax.hist([r["min_clearance"] for r in rows], bins=30, color="#937860")
    ax.set_xlabel("minimum clearance (m)")
    ax.set_ylabel("episodes")
    ax.set_title("closest approach")
    fig.suptitle(f"Dataset analytics (n = {len(rows)} episodes, {stats['steps']:,} steps)")
    fig.tight_layout()
    return to_data_uri(fig)


def image_uri(path) -> str:
    import base64
    from pathlib import Path

    return "data:image/png;base64," + base64.b64encode(Path(path).read_bytes()).decode()
