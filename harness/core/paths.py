"""Where the project's declarative inputs and generated outputs live.

The harness is used from a checkout (``pip install -e .``): specs and templates sit beside the
package. Environment variables override each location for installs elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def specs_dir() -> Path:
    return Path(os.environ.get("HARNESS_SPECS_DIR", ROOT / "specs"))


def templates_dir() -> Path:
    return Path(os.environ.get("HARNESS_TEMPLATES_DIR", ROOT / "templates"))


def artifacts_dir() -> Path:
    return Path(os.environ.get("HARNESS_ARTIFACTS_DIR", ROOT / "artifacts"))


def reports_dir() -> Path:
    return Path(os.environ.get("HARNESS_REPORTS_DIR", ROOT / "reports"))
