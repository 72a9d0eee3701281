"""Declarative inputs: YAML under ``specs/`` loaded into typed, frozen objects."""

from harness.spec.errors import SpecError

__all__ = ["SpecError"]
