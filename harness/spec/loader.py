"""Loading a study: its file, the chosen profile merged over the base, every rule checked.

The one entry point to a :class:`~harness.spec.study.Study` (:mod:`harness.spec.study` parses a
merged mapping, :mod:`harness.spec.rules` checks the whole spec; this module puts them together,
so neither has to import the other's caller).
"""

from __future__ import annotations

from pathlib import Path

from harness.core.paths import specs_dir
from harness.spec.errors import Fields, SpecError
from harness.spec.rules import checked_study
from harness.spec.scenarios import read_yaml
from harness.spec.study import Study


def study_file() -> Path:
    return specs_dir() / "study.yaml"


def load_study(profile: str = "full", path: str | Path | None = None) -> Study:
    """Load the study spec with ``profile`` merged over its base."""
    path = Path(path or study_file())
    raw = read_yaml(path)
    top = Fields(raw, path)
    profiles = top.raw("profiles", {})
    if not isinstance(profiles, dict) or profile not in profiles:
        names = list(profiles) if isinstance(profiles, dict) else []
        raise SpecError(path, "profiles", f"a profile named one of {names}", profile)
    base = {k: v for k, v in raw.items() if k != "profiles"}
    return checked_study(base, profiles[profile] or {}, profile, path)
