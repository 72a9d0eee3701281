"""A declared Gymnasium environment: one *family* of a study's ``environment`` section.

A family is everything needed to make identical episodes anywhere: a registered id (or a
``module:Class`` entry point), its kwargs, the modules to import first (a user's package that
registers its ids), the wrappers to apply in order, the episode limit, the outcome rule
(:mod:`harness.envs.outcome`) and the per-episode descriptors the shift check reads. It plays the
role a scenario plays for the built-in simulator, and behaves as a one-family mix (``pick``,
``evaluation_window``, ...), so the stages that accept a scenario or a mix accept it unchanged.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np

from harness.envs.outcome import DeclaredOutcome, OutcomeRule

VECTORISE = ("dummy", "subproc")
"""How training vectorises a declared environment: in this process (SB3's DummyVecEnv) or one
process per env (SubprocVecEnv). The built-in simulator always uses its native batched VecEnv."""


@dataclass(frozen=True)
class Descriptor:
    """A number that describes an episode (the shift check's coverage reads them): an ``info``
    key read at ``reset`` or at the episode's ``end``, or ``function`` (``module:function``)
    called as ``function(env.unwrapped, observation, info)`` right after reset."""

    name: str
    info: str | None = None
    at: str = "reset"
    function: str | None = None

    def as_dict(self) -> dict:
        return {"name": self.name, "info": self.info, "at": self.at, "function": self.function}


def load_object(ref: str) -> Any:
    """``package.module:attribute`` -> the attribute (ValueError naming what is missing)."""
    module, sep, attr = ref.partition(":")
    if not sep or not module or not attr:
        raise ValueError(f"'{ref}' is not of the form 'package.module:name'")
    try:
        obj = importlib.import_module(module)
    except ImportError as exc:
        raise ValueError(f"module '{module}' of '{ref}' cannot be imported: {exc}") from exc
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ValueError(f"module '{module}' has no attribute '{attr}'")
        obj = getattr(obj, part)
    return obj


@dataclass(frozen=True)
class GymFamily:
    """One declared environment configuration (see the module docstring)."""

    name: str
    outcome: OutcomeRule
    id: str | None = None
    entry_point: str | None = None
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    imports: tuple[str, ...] = ()
    wrappers: tuple[str, ...] = ()
    max_episode_steps: int | None = None
    descriptors: tuple[Descriptor, ...] = ()
    vectorise: str = "dummy"
    setenv: tuple[tuple[str, str], ...] = ()
    """Process environment variables the simulator reads, set (if unset) before any import,
    e.g. ``MUJOCO_GL=egl`` for headless MuJoCo rendering."""
    environment: str = ""
    """The name of the spec's ``environment`` section this family belongs to."""

    # ------------------------------------------------------------------ making episodes
    def import_modules(self) -> None:
        for key, value in self.setenv:
            os.environ.setdefault(key, value)
        for module in self.imports:
            importlib.import_module(module)

    def make_base(self, render_mode: str | None = None) -> gym.Env:
        """The environment as Gymnasium makes it (id or entry point, kwargs, time limit)."""
        self.import_modules()
        kw = dict(self.kwargs)
        if render_mode is not None:
            kw["render_mode"] = render_mode
        if self.max_episode_steps is not None:
            kw["max_episode_steps"] = self.max_episode_steps
        if self.id is not None:
            return gym.make(self.id, **kw)
        spec = gym.envs.registration.EnvSpec(id=f"harness-declared/{self.name}-v0",
                                             entry_point=self.entry_point)
        return gym.make(spec, **kw)

    def make(self, render_mode: str | None = None) -> gym.Env:
        """The environment every stage plays: base, declared wrappers, then the outcome flags."""
        env = self.make_base(render_mode)
        for ref in self.wrappers:
            env = load_object(ref)(env)
        return DeclaredOutcome(env, self.outcome)

    # ------------------------------------------------------------------ spaces
    @property
    def observation_space(self) -> gym.Space:
        return _spaces(self)[0]

    @property
    def action_space(self) -> gym.Space:
        return _spaces(self)[1]

    @property
    def obs_shape(self) -> tuple[int, ...]:
        return tuple(self.observation_space.shape)

    @property
    def discrete(self) -> bool:
        return isinstance(self.action_space, gym.spaces.Discrete)

    # ------------------------------------------------------------------ descriptors
    def describe_reset(self, env: gym.Env, obs: np.ndarray, info: Mapping) -> dict[str, float]:
        out = {}
        for d in self.descriptors:
            if d.function is not None:
                out[d.name] = float(load_object(d.function)(env.unwrapped, obs, info))
            elif d.at == "reset":
                out[d.name] = _number(info, d.info, self.name)
        return out

    def describe_end(self, info: Mapping) -> dict[str, float]:
        return {d.name: _number(info, d.info, self.name) for d in self.descriptors
                if d.function is None and d.at == "end"}

    # ------------------------------------------------------------------ a one-family mix
    @property
    def families(self) -> tuple[GymFamily, ...]:
        return (self,)

    @property
    def family_names(self) -> tuple[str, ...]:
        return (self.name,)

    @property
    def weights(self) -> tuple[float, ...]:
        return (1.0,)

    @property
    def weights_by_family(self) -> dict[str, float]:
        return {self.name: 1.0}

    def family_index(self, seed: int) -> int:
        return 0

    def families_of(self, seeds: Sequence[int]) -> np.ndarray:
        return np.zeros(len(seeds), dtype=np.int64)

    def family(self, seed: int) -> GymFamily:
        return self

    def evaluation_window(self, per_family: int) -> int:
        return per_family

    def pick(self, seeds: Sequence[int], per_family: int) -> dict[str, list[int]]:
        if len(seeds) < per_family:
            raise ValueError(f"family '{self.name}': {len(seeds)} seeds, {per_family} needed")
        return {self.name: [int(s) for s in seeds[:per_family]]}

    # ------------------------------------------------------------------ identity
    def as_dict(self) -> dict:
        """What identifies the family in a config (and in a dataset's ``env_config``)."""
        return {"kind": "gymnasium", "name": self.name, "environment": self.environment,
                "id": self.id, "entry_point": self.entry_point, "kwargs": dict(self.kwargs),
                "imports": list(self.imports), "wrappers": list(self.wrappers),
                "max_episode_steps": self.max_episode_steps, "outcome": self.outcome.as_dict(),
                "descriptors": [d.as_dict() for d in self.descriptors],
                "vectorise": self.vectorise,
                **({"setenv": dict(self.setenv)} if self.setenv else {})}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> GymFamily:
        return cls(name=d["name"], environment=d.get("environment", ""), id=d.get("id"),
                   entry_point=d.get("entry_point"), kwargs=dict(d.get("kwargs") or {}),
                   imports=tuple(d.get("imports") or ()), wrappers=tuple(d.get("wrappers") or ()),
                   max_episode_steps=d.get("max_episode_steps"),
                   outcome=OutcomeRule.from_dict(d["outcome"]),
                   descriptors=tuple(Descriptor(**x) for x in d.get("descriptors") or ()),
                   vectorise=d.get("vectorise", "dummy"),
                   setenv=tuple(sorted((d.get("setenv") or {}).items())))

    def label(self) -> str:
        """``id`` (or entry point) with its kwargs, as people read it."""
        kw = ", ".join(f"{k}={v!r}" for k, v in sorted(self.kwargs.items()))
        limit = f", at most {self.max_episode_steps} steps" if self.max_episode_steps else ""
        return f"{self.id or self.entry_point}({kw}){limit}"


def _number(info: Mapping, key: str | None, family: str) -> float:
    if key not in info:
        raise KeyError(f"family '{family}': descriptor info key '{key}' is not in the env's info "
                       f"(keys: {sorted(info)})")
    return float(np.asarray(info[key], dtype=float).reshape(-1)[0])


_SPACES: dict[str, tuple[gym.Space, gym.Space]] = {}


def _spaces(family: GymFamily) -> tuple[gym.Space, gym.Space]:
    key = json.dumps(family.as_dict(), sort_keys=True, default=str)
    if key not in _SPACES:
        env = family.make()
        try:
            _SPACES[key] = (env.observation_space, env.action_space)
        finally:
            env.close()
    return _SPACES[key]
