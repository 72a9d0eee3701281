"""How an episode of a declared environment ends: the spec's outcome rule, applied by a wrapper.

The built-in simulator reports ``is_success`` / ``is_collision`` / ``is_timeout`` in its last
``info``; any other environment gets the same three flags from :class:`DeclaredOutcome`, which
evaluates the rule the spec declares at every step (the flags are False until the episode ends).
So every stage downstream (evaluation, recording, validation, playback) reads one convention.

A rule names, for ``success`` and for ``collision``, a conjunction of clauses over the episode's
last step::

    success:   {info: is_success}                       # info["is_success"] is truthy
    collision: {terminated: true, reward_at_most: 0.0}  # ended by the env, last reward <= 0

Clauses: ``info: <key>`` (truthy), ``info_false: <key>`` (falsy or absent), ``terminated`` and
``truncated`` (booleans), ``reward_above`` and ``reward_at_most`` (numbers). Success is checked
first; an ended episode that is neither is a time-out (DESIGN.md section 4).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import gymnasium as gym

CLAUSES = ("info", "info_false", "terminated", "truncated", "reward_above", "reward_at_most")
"""The clause keys a condition may hold (every one given must hold)."""


@dataclass(frozen=True)
class Condition:
    """A conjunction of clauses over an episode's last step (None: clause not given)."""

    info: str | None = None
    info_false: str | None = None
    terminated: bool | None = None
    truncated: bool | None = None
    reward_above: float | None = None
    reward_at_most: float | None = None

    def holds(self, reward: float, terminated: bool, truncated: bool,
              info: Mapping[str, Any]) -> bool:
        if self.info is not None and not info.get(self.info):
            return False
        if self.info_false is not None and info.get(self.info_false):
            return False
        if self.terminated is not None and bool(terminated) != self.terminated:
            return False
        if self.truncated is not None and bool(truncated) != self.truncated:
            return False
        if self.reward_above is not None and not float(reward) > self.reward_above:
            return False
        return not (self.reward_at_most is not None and not float(reward) <= self.reward_at_most)

    @property
    def info_keys(self) -> tuple[str, ...]:
        return tuple(k for k in (self.info, self.info_false) if k is not None)

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in CLAUSES if getattr(self, k) is not None}

    def describe(self) -> str:
        parts = []
        for key, value in self.as_dict().items():
            parts.append({"info": f"info['{value}']", "info_false": f"not info['{value}']",
                          "terminated": f"terminated={value}", "truncated": f"truncated={value}",
                          "reward_above": f"last reward > {value}",
                          "reward_at_most": f"last reward <= {value}"}[key])
        return " and ".join(parts)


@dataclass(frozen=True)
class OutcomeRule:
    """Which ended episodes count as a success and which as a collision."""

    success: Condition
    collision: Condition | None = None
    """None: the environment has no collision (every failure is a time-out)."""

    def outcome(self, reward: float, terminated: bool, truncated: bool,
                info: Mapping[str, Any]) -> str:
        """``success``, ``collision`` or ``timeout`` of an ended episode's last step."""
        if self.success.holds(reward, terminated, truncated, info):
            return "success"
        if self.collision is not None and self.collision.holds(reward, terminated, truncated,
                                                                 info):
            return "collision"
        return "timeout"

    @property
    def info_keys(self) -> tuple[str, ...]:
        keys = list(self.success.info_keys)
        if self.collision is not None:
            keys += [k for k in self.collision.info_keys if k not in keys]
        return tuple(keys)

    def as_dict(self) -> dict:
        return {"success": self.success.as_dict(),
                "collision": None if self.collision is None else self.collision.as_dict()}

    def describe(self) -> dict[str, str]:
        return {"success": self.success.describe(),
                "collision": "never" if self.collision is None else self.collision.describe()}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> OutcomeRule:
        col = d.get("collision")
        return cls(success=Condition(**d["success"]),
                   collision=None if col is None else Condition(**col))


FLAGS = {"success": "is_success", "collision": "is_collision", "timeout": "is_timeout"}


class DeclaredOutcome(gym.Wrapper):
    """Adds ``is_success`` / ``is_collision`` / ``is_timeout`` (by the declared rule) to every
    ``info``: all False until the step that ends the episode, then exactly one True. The
    environment's own keys of those names are kept under ``env_<key>``."""

    def __init__(self, env: gym.Env, rule: OutcomeRule):
        super().__init__(env)
        self.rule = rule

    def reset(self, **kwargs):
        obs, info = self.env.reset(**kwargs)
        return obs, self._flags(dict(info), None)

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        info = dict(info)
        raw = dict(info)
        ended = self.rule.outcome(reward, terminated, truncated, raw) \
            if terminated or truncated else None
        return obs, reward, terminated, truncated, self._flags(info, ended)

    @staticmethod
    def _flags(info: dict, ended: str | None) -> dict:
        for name, flag in FLAGS.items():
            if flag in info:
                info[f"env_{flag}"] = info[flag]
            info[flag] = ended == name
        return info
