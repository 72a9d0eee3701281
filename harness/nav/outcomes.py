"""How an episode ends and what the robot hit: the one definition of their codes and names.

The simulator returns codes (small ints, cheap in batched arrays and usable inside the compiled
kernels); everything shown to people or written to files uses the names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

OUTCOME_NONE, OUTCOME_SUCCESS, OUTCOME_COLLISION, OUTCOME_TIMEOUT = 0, 1, 2, 3
OUTCOMES = ("running", "success", "collision", "timeout")
"""Outcome names by code."""
FINAL_OUTCOMES = OUTCOMES[OUTCOME_SUCCESS:]
"""The names an ended episode can have: ``("success", "collision", "timeout")``."""
OUTCOME_FLAGS = {"success": "is_success", "collision": "is_collision", "timeout": "is_timeout"}
"""The Gymnasium ``info`` flag that is true for each final outcome."""

CONTACT_NONE, CONTACT_WALL, CONTACT_OBSTACLE, CONTACT_PEDESTRIAN = 0, 1, 2, 3
CONTACTS = ("none", "wall", "obstacle", "pedestrian")
"""Contact names by code: what the robot is nearest to, or collided with."""


def outcome_flags(outcome: int) -> dict[str, bool]:
    """The ``is_success`` / ``is_collision`` / ``is_timeout`` flags of an outcome code."""
    return {flag: OUTCOMES[outcome] == name for name, flag in OUTCOME_FLAGS.items()}


def outcome_of_info(info: Mapping[str, Any]) -> str:
    """The final outcome's name from an episode's last ``info`` (``timeout`` when neither
    success nor collision is flagged, e.g. an episode that recorded no step)."""
    for name in ("success", "collision"):
        if info.get(OUTCOME_FLAGS[name]):
            return name
    return "timeout"
