"""The names the pipeline's parts share, declared once: arms and datasets.

Each is a ``StrEnum``, so a name equals its string (configs, manifests, metrics and the report
keep the very strings they always had) while code refers to it by member, not by a literal.
"""

from __future__ import annotations

from enum import StrEnum


class ArmName(StrEnum):
    """The arms of the pre-training stage; each name is also its runs' stream of episode seeds
    (:mod:`harness.seeds`)."""

    BASELINE = "baseline"
    """PPO from scratch."""
    PRETRAINED = "pretrained"
    """The recipe: behaviour cloning, critic pre-training, warm-ups, fine-tuning."""
    NAIVE = "naive"
    """The ablation: behaviour cloning, then PPO as it is."""
    SHIFTED = "shifted"
    """The shift experiment's arm on demonstrations from other families."""
    MATCHED = "matched"
    """The shift experiment's arm on demonstrations from the fine-tuning family."""


class DatasetName(StrEnum):
    """The datasets a study records from its expert."""

    STUDY = "study"
    """The study's dataset (``dataset:``)."""
    SHIFTED = "shifted"
    """The shift experiment's, recorded on ``shift.dataset_scenarios``."""
    MATCHED = "matched"
    """The shift experiment's, recorded on the fine-tuning scenario."""
