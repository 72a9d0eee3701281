"""Load scenario mixes from ``specs/mixes/*.yaml`` into frozen :class:`ScenarioMix` objects.

A mix file names its families (scenario files of ``specs/scenarios``) with positive weights::

    name: all
    description: every family, equally often
    families: {open: 1, cluttered: 1, corridor: 1, doorway: 1, crowd: 1}

Read with the same strict field reader as scenarios: unknown keys, unknown families, weights
that are not positive numbers and families that cannot share a batch are errors naming the file
and the field. The families are kept in difficulty order (the order the per-episode draw uses),
whatever order the file lists them in.
"""

from __future__ import annotations

import functools
from pathlib import Path

from harness.core.paths import specs_dir
from harness.nav.mix import ScenarioMix, mix_incompatibility
from harness.nav.scenario import Scenario
from harness.spec.errors import Fields, SpecError
from harness.spec.scenarios import load_scenarios, read_yaml


def mix_dir() -> Path:
    return specs_dir() / "mixes"


def parse_mix(data: object, file: str | Path, scenarios: dict[str, Scenario]) -> ScenarioMix:
    """Validate one mix mapping against the declared ``scenarios``; errors name ``file`` and
    the offending field."""
    f = Fields(data, file)
    name = f.string("name")
    description = f.string("description", "")
    fam = f.sub("families", required=True)
    if not fam.data:
        raise f.error("families", "a mapping of at least one scenario name to its weight", {})
    families, weights = [], []
    for key in list(fam.data):
        if key not in scenarios:
            raise fam.error(str(key), f"one of the declared scenarios {list(scenarios)}",
                            "unknown scenario")
        weight = fam.number(key, lo=0.0)
        if weight <= 0.0:
            raise fam.error(key, "a weight > 0", weight)
        families.append(scenarios[key])
        weights.append(weight)
    fam.done()
    f.done()
    # Families in difficulty order, as everywhere else: the draw then does not depend on the
    # order the file lists them in.
    order = sorted(range(len(families)), key=lambda i: (families[i].difficulty, families[i].name))
    families, weights = [families[i] for i in order], [weights[i] for i in order]
    why = mix_incompatibility(tuple(families))
    if why:
        raise f.error("families", "families that can share one batch", why)
    return ScenarioMix(name=name, families=tuple(families), weights=tuple(weights),
                       description=description)


def load_mix_file(path: str | Path, scenarios: dict[str, Scenario] | None = None) -> ScenarioMix:
    path = Path(path)
    mix = parse_mix(read_yaml(path), path, load_scenarios() if scenarios is None else scenarios)
    if mix.name != path.stem:
        raise SpecError(path, "name", f"the file's stem '{path.stem}'", mix.name)
    return mix


@functools.cache
def _load_all(directory: str) -> dict[str, ScenarioMix]:
    return {p.stem: load_mix_file(p) for p in sorted(Path(directory).glob("*.yaml"))}


def load_mixes(directory: str | Path | None = None) -> dict[str, ScenarioMix]:
    """All declared mixes, keyed by name."""
    return dict(_load_all(str(directory or mix_dir())))


def load_mix(name: str, directory: str | Path | None = None) -> ScenarioMix:
    mixes = load_mixes(directory)
    if name not in mixes:
        raise SpecError(Path(directory or mix_dir()) / f"{name}.yaml", "name",
                        f"one of the declared mixes {list(mixes)}", name)
    return mixes[name]
