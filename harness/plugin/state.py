"""The plugin's session state, kept in ``config.stash`` (never in module globals or private
attributes of the config)."""

from __future__ import annotations

import pytest

CRITERION = "harness_criterion"
"""``user_properties`` key of an acceptance criterion's row (it travels from xdist workers)."""
ARTIFACT = "harness_artifact"
"""``user_properties`` key of an artefact a test cites."""
BLOCKED = "harness_blocked"
"""``user_properties`` key of a test blocked by a rejected upstream artefact (the rejection)."""
STORE_FAULT = "harness_store_fault"
"""``user_properties`` key of a store fault (the store refused a write)."""

STARTED = pytest.StashKey[float]()
"""When the session started (the controller's clock, handed to the workers)."""


def started(config: pytest.Config) -> float:
    return config.stash[STARTED]


def is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")
