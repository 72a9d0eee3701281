"""The study spec: ``specs/study.yaml`` + a profile -> one typed, frozen :class:`Study`.

A profile is a partial spec deep-merged over the base (``profiles.<name>``); the merged mapping is
the *resolved config* that manifests record and hash. Every field is validated with an error that
names the file, the dotted field and what was expected.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

from harness.core.hashing import config_hash
from harness.spec.common import Catalogue
from harness.spec.errors import Fields
from harness.stages.dataset.config import DatasetSpec, parse_dataset
from harness.stages.expert.config import ExpertSpec, parse_expert
from harness.stages.pretraining.config import (
    FineTuneConfig,  # noqa: F401  pre-trained models saved before the stages had folders
    # pickled their recipe as harness.spec.study.FineTuneConfig: kept importable so they load
    PretrainSpec,
    parse_pretraining,
)
from harness.stages.regimes.config import RegimesSpec, parse_regimes
from harness.stages.shift.config import ShiftSpec, parse_shift


@dataclass(frozen=True)
class Study:
    name: str
    profile: str
    file: str
    resolved: dict
    """The merged mapping this study was built from (what manifests record)."""
    expert: ExpertSpec
    dataset: DatasetSpec
    pretraining: PretrainSpec
    shift: ShiftSpec | None
    """The distribution-shift experiment; None when the spec declares none (SHIFT not run)."""
    environment: dict | None = None
    """The declared environment's families by name (None: the built-in simulator)."""
    regimes: RegimesSpec | None = None
    """The regime map (issue 24); None when the spec declares none."""
    shift_deviation: str | None = None
    """Why SHIFT is not run although the base spec declares it (a profile's ``shift: null``):
    a deviation from the study as declared, shown as such in the report."""

    @property
    def config_hash(self) -> str:
        return config_hash(self.resolved)


def deep_merge(base: dict, override: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def parse_study(data: dict, path: str | Path, profile: str) -> Study:
    f = Fields(data, path)
    name = f.string("name")
    from harness.spec.environment import parse_environment

    declared = parse_environment(f)
    catalogue = Catalogue(declared)
    expert = parse_expert(f.sub("expert", required=True), catalogue)
    dataset = parse_dataset(f.sub("dataset", required=True), expert, catalogue)
    pretraining = parse_pretraining(f.sub("pretraining", required=True), expert, catalogue)
    shift = None  # optional: a study with no distribution-shift question has no `shift:`
    if f.raw("shift", None) is not None:
        shift = parse_shift(f.sub("shift"), pretraining, dataset, catalogue)
    regimes = parse_regimes(f, pretraining, catalogue) if f.raw("regimes", None) is not None \
        else None
    f.done()
    return Study(name=name, profile=profile, file=str(path), resolved=data, expert=expert,
                 dataset=dataset, pretraining=pretraining, shift=shift, environment=declared,
                 regimes=regimes)


