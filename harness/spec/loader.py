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
    return checked_study(base, resolved_profile(profiles, profile, path), profile, path)


def resolved_profile(profiles: dict, name: str, path: Path, seen: tuple[str, ...] = ()) -> object:
    """Profile ``name`` as one partial spec: merged over the profile it ``extends`` (itself
    resolved), or as written when it extends none."""
    from harness.spec.study import deep_merge

    own = profiles[name] or {}
    if not isinstance(own, dict) or "extends" not in own:
        return own
    parent = own["extends"]
    if parent not in profiles or parent == name or parent in seen:
        raise SpecError(path, f"profiles.{name}.extends", f"another profile, one of "
                        f"{[p for p in profiles if p != name]}, without a cycle", parent)
    rest = {k: v for k, v in own.items() if k != "extends"}
    base = resolved_profile(profiles, parent, path, (*seen, name))
    return deep_merge(base if isinstance(base, dict) else {}, rest)
