"""Shared helpers of the opt-in benchmarks: print a table and keep its numbers as JSON."""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path

from harness.core.paths import reports_dir


def publish(name: str, rows: list[dict], printer=print) -> Path:
    """Print ``rows`` as an aligned table and write them to ``reports/benchmarks/<name>.json``."""
    keys = list(rows[0]) if rows else []
    widths = {k: max(len(k), *(len(_fmt(r[k])) for r in rows)) for k in keys}
    printer(f"\n== benchmark: {name} ==")
    printer("  ".join(k.rjust(widths[k]) for k in keys))
    for r in rows:
        printer("  ".join(_fmt(r[k]).rjust(widths[k]) for k in keys))
    out = reports_dir() / "benchmarks" / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"name": name, "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                               "machine": platform.platform(), "rows": rows}, indent=2))
    return out


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:,.1f}" if abs(v) >= 10 else f"{v:.3f}"
    return str(v)
