"""The spec's ``environment`` section: the Gymnasium environment a study runs on.

Absent (or ``kind: builtin``), the study runs on the built-in simulator and its scenario files.
Otherwise it declares one environment and its named *families* (configurations the stages pick
by name, as they pick scenarios: the expert's, the fine-tuning one, the shift experiment's)::

    environment:
      name: lava-gap
      id: MiniGrid-LavaGapS5-v0          # or entry_point: my_pkg.envs:MyEnv
      imports: [minigrid]                # imported first (registers the ids)
      kwargs: {}
      wrappers: [minigrid.wrappers:ImgObsWrapper, gymnasium.wrappers:FlattenObservation]
      max_episode_steps: null            # the registered limit unless given
      outcome:
        success: {terminated: true, reward_above: 0.0}
        collision: {terminated: true, reward_at_most: 0.0}
      descriptors: {}                    # name: {info: key, at: reset|end} or {function: m:f}
      vectorise: dummy                   # or subproc
      setenv: {}                         # e.g. {MUJOCO_GL: egl}: set before any import
      families:                          # optional; default one family named after `name`
        s5: {}
        s6: {id: MiniGrid-LavaGapS6-v0}

Every declaration is checked before any training starts (:func:`probe`): the modules import,
the id is registered (or the entry point loads), the spaces are Box or Discrete, and a probe
episode reports every info key the outcome rule and the descriptors read. Errors name the field.
"""

from __future__ import annotations

import difflib
import importlib
import os
from pathlib import Path

import gymnasium as gym
import numpy as np

from harness.envs.gym_family import VECTORISE, Descriptor, GymFamily, load_object
from harness.envs.outcome import CLAUSES, Condition, DeclaredOutcome, OutcomeRule
from harness.spec.errors import Fields, SpecError

PROBE_STEPS = 2000
"""Longest probe episode (random actions) before its info keys are judged."""


def parse_environment(f: Fields) -> dict[str, GymFamily] | None:
    """The declared families by name, or None for the built-in simulator."""
    if not f.has("environment"):
        return None
    ef = f.sub("environment")
    if ef.raw("kind", "gymnasium") == "builtin":
        ef.done()
        return None
    if ef.raw("kind", "gymnasium") != "gymnasium":
        raise ef.error("kind", "'gymnasium' or 'builtin'", ef.raw("kind"))
    name = ef.string("name")
    base = _family_fields(ef, name, name, None)
    families = {}
    raw = ef.raw("families", None)
    if raw is None:
        families[name] = base
    else:
        if not isinstance(raw, dict) or not raw:
            raise ef.error("families", "a mapping of family names to overrides (id, "
                           "entry_point, kwargs, max_episode_steps)", raw)
        for fam, override in raw.items():
            sub = Fields(override or {}, ef.file, ef.path(f"families.{fam}"))
            families[str(fam)] = _family_fields(sub, str(fam), name, base)
            sub.done()
    ef.done()
    probe(base, ef, "")
    for fam in families.values():
        if (fam.id, fam.entry_point, fam.kwargs, fam.max_episode_steps) != (
                base.id, base.entry_point, base.kwargs, base.max_episode_steps):
            probe(fam, ef, f"families.{fam.name}.")
    return families


def _family_fields(f: Fields, name: str, environment: str, base: GymFamily | None) -> GymFamily:
    """A family from ``f``: every field given there, the rest from ``base``."""
    def pick(key, default):
        return f.raw(key) if f.has(key) else (getattr(base, key) if base else default)

    if f.has("id") and f.has("entry_point"):
        raise f.error("id", "either 'id' (a registered Gymnasium id) or 'entry_point' "
                      "('package.module:Class'), not both",
                      {"id": f.raw("id"), "entry_point": f.raw("entry_point")})
    env_id = f.string("id") if f.has("id") else (None if f.has("entry_point") or base is None
                                                 else base.id)
    entry = f.string("entry_point") if f.has("entry_point") else (
        None if f.has("id") or base is None else base.entry_point)
    if env_id is None and entry is None:
        raise f.error("id", "a registered Gymnasium id (or 'entry_point: package.module:Class')",
                      None)
    kwargs = pick("kwargs", {})
    if not isinstance(kwargs, dict):
        raise f.error("kwargs", "a mapping of keyword arguments of the environment", kwargs)
    if base is not None and f.has("kwargs"):
        kwargs = {**base.kwargs, **kwargs}
    limit = pick("max_episode_steps", None)
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise f.error("max_episode_steps", "a positive integer or null", limit)
    if base is not None:
        for key in ("imports", "wrappers", "outcome", "descriptors", "vectorise", "setenv"):
            if f.has(key):
                raise f.error(key, "set once for the whole environment, not per family",
                              f.raw(key))
        imports, wrappers = base.imports, base.wrappers
        outcome, descriptors, vectorise = base.outcome, base.descriptors, base.vectorise
        setenv = base.setenv
    else:
        imports = tuple(f.string_list("imports", [], min_len=0))
        wrappers = tuple(f.string_list("wrappers", [], min_len=0))
        outcome = _outcome(f.sub("outcome", required=True))
        descriptors = _descriptors(f)
        vectorise = f.string("vectorise", "dummy", choices=VECTORISE)
        raw_env = f.raw("setenv", {}) or {}
        if not isinstance(raw_env, dict) or not all(
                isinstance(v, (str, int, float)) and not isinstance(v, bool)
                for v in raw_env.values()):
            raise f.error("setenv", "a mapping of environment variable names to values "
                          "(e.g. MUJOCO_GL: egl)", raw_env)
        setenv = tuple(sorted((str(k), str(v)) for k, v in raw_env.items()))
    return GymFamily(name=name, environment=environment, id=env_id, entry_point=entry,
                     kwargs=kwargs, imports=imports, wrappers=wrappers, max_episode_steps=limit,
                     outcome=outcome, descriptors=descriptors, vectorise=vectorise,
                     setenv=setenv)


def _condition(f: Fields, key: str, required: bool) -> Condition | None:
    raw = f.raw(key, ... if required else None)
    if raw is None:
        return None
    sub = Fields(raw, f.file, f.path(key))
    if not raw:
        raise f.error(key, f"at least one clause of {list(CLAUSES)}", raw)
    kw = {}
    for clause in ("info", "info_false"):
        if sub.has(clause):
            kw[clause] = sub.string(clause)
    for clause in ("terminated", "truncated"):
        if sub.has(clause):
            kw[clause] = sub.boolean(clause)
    for clause in ("reward_above", "reward_at_most"):
        if sub.has(clause):
            kw[clause] = float(sub.number(clause))
    sub.done()
    return Condition(**kw)


def _outcome(f: Fields) -> OutcomeRule:
    rule = OutcomeRule(success=_condition(f, "success", True),
                       collision=_condition(f, "collision", False))
    f.done()
    return rule


def _descriptors(f: Fields) -> tuple[Descriptor, ...]:
    raw = f.raw("descriptors", {}) or {}
    if not isinstance(raw, dict):
        raise f.error("descriptors", "a mapping of names to {info: key, at: reset|end} or "
                      "{function: package.module:function}", raw)
    out = []
    for name, spec in raw.items():
        sub = Fields(spec, f.file, f.path(f"descriptors.{name}"))
        if sub.has("function") == sub.has("info"):
            raise sub.error("info", "exactly one of 'info' (an info key) or 'function' "
                            "('package.module:function')", spec)
        out.append(Descriptor(name=str(name), info=sub.string("info") if sub.has("info")
                              else None, at=sub.string("at", "reset", choices=("reset", "end")),
                              function=sub.string("function") if sub.has("function")
                              else None))
        sub.done()
    return tuple(out)


# ----------------------------------------------------------------------------- probing
def probe(family: GymFamily, f: Fields, where: str = "") -> None:
    """Check a family can be made and reports what its declaration reads (see the module
    docstring); raise :class:`SpecError` naming the field otherwise (``where``: the prefix of
    the family's own fields, e.g. ``families.narrow.``)."""
    for key, value in family.setenv:
        os.environ.setdefault(key, value)
    for i, module in enumerate(family.imports):
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise f.error(f"imports[{i}]", "an importable module (is its package installed? "
                          "environment packages are an optional extra: pip install -e .[envs])",
                          f"{module}: {exc}") from exc
    if family.id is not None and family.id not in gym.registry:
        close = difflib.get_close_matches(family.id, list(gym.registry), n=3)
        raise f.error(f"{where}id", "a registered Gymnasium id (list the module that registers "
                      "it under 'imports')" + (f"; close: {close}" if close else ""), family.id)
    if family.entry_point is not None:
        try:
            load_object(family.entry_point)
        except ValueError as exc:
            raise f.error(f"{where}entry_point", "'package.module:Class' of an importable env",
                          str(exc)) from exc
    for i, ref in enumerate(family.wrappers):
        try:
            load_object(ref)
        except ValueError as exc:
            raise f.error(f"wrappers[{i}]", "'package.module:Wrapper'", str(exc)) from exc
    try:
        env = family.make()
    except Exception as exc:  # the user's env may raise anything: name what failed
        raise f.error(f"{where}kwargs", f"arguments that make '{family.label()}'",
                      repr(exc)) from exc
    try:
        for key, space in (("observation", env.observation_space), ("action", env.action_space)):
            if not isinstance(space, (gym.spaces.Box, gym.spaces.Discrete)):
                raise f.error("wrappers", f"wrappers giving a Box or Discrete {key} space (a "
                              f"{type(space).__name__} space is not supported yet; e.g. "
                              f"gymnasium.wrappers:FlattenObservation)", str(space))
        seen = _probe_keys(family, env)
    finally:
        env.close()
    wanted = [("outcome", k) for k in family.outcome.info_keys] + [
        (f"descriptors.{d.name}", d.info) for d in family.descriptors if d.info is not None]
    for field, key in wanted:
        if key not in seen:
            raise f.error(field, f"an info key the environment reports (a probe episode of "
                          f"'{family.name}' reported {sorted(seen)})", key)


def _probe_keys(family: GymFamily, env: gym.Env) -> set[str]:
    """Every info key the environment itself (inside the outcome wrapper) reports in one
    random-action episode, reset info included."""
    inner = env.env if isinstance(env, DeclaredOutcome) else env
    _, info = inner.reset(seed=0)
    inner.action_space.seed(0)  # after reset, which may rebuild the space (see replayable)
    seen = set(info)
    for _ in range(PROBE_STEPS):
        _, _, terminated, truncated, info = inner.step(inner.action_space.sample())
        seen |= set(info)
        if terminated or truncated:
            break
    return seen


def replayable(family: GymFamily, steps: int = 200) -> bool:
    """Whether ``reset(seed)`` and the same actions give the same episode twice (the probe the
    dataset's metadata records: playback re-simulates only a replayable environment)."""
    runs = []
    for _ in range(2):
        env = family.make()
        try:
            obs, _ = env.reset(seed=12345)
            # seeded after reset: an env may build its action space in reset (highway-env
            # does), and an unseeded new space would make any env look non-deterministic
            env.action_space.seed(1)
            trace = [np.asarray(obs, dtype=float).ravel()]
            for _ in range(steps):
                obs, r, terminated, truncated, _ = env.step(env.action_space.sample())
                trace.append(np.append(np.asarray(obs, dtype=float).ravel(), float(r)))
                if terminated or truncated:
                    break
        finally:
            env.close()
        runs.append(trace)
    return len(runs[0]) == len(runs[1]) and all(
        np.array_equal(a, b) for a, b in zip(*runs, strict=True))


def family_error(file: str | Path, field: str, families: dict[str, GymFamily],
                 found: object) -> SpecError:
    return SpecError(file, field, f"a family of the environment section, one of "
                     f"{list(families)}", found)
