"""Dataset validation: every violation is an error located by episode, array and index.

Nothing here only warns: a dataset with any failure is quarantined by the caller with the
report this module returns. Checks follow ``schema.py``: alignment of every array, exactly one
episode end at the last step, no NaN or inf, values inside their spaces, rewards consistent with
the recorded returns, terminal flags consistent with outcomes, complete metadata, minimum
episode count, unique episode ids, checksum, and exact replay: every structurally sound episode
is re-simulated from its seed with its recorded actions (the playback module's replay), and the
first step whose observation, reward or outcome differs is named. The whole-file checksum names
no episode and would pass after a legitimate re-write; the replay locates a substituted action.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import h5py
import numpy as np

from harness.core.hashing import file_sha256
from harness.nav.outcomes import OUTCOME_FLAGS
from harness.stages.dataset.schema import (
    DATA_DIR,
    DATA_FILE,
    INFO_KEYS,
    MANDATORY_KEYS,
    METADATA_FILE,
    OUTCOMES,
    generic_layout,
)

MINARI_KEYS = ("dataset_id", "minari_version", "data_format", "total_episodes", "total_steps",
               "observation_space", "action_space")
SPACE_TOLERANCE = 1e-6
RETURN_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Failure:
    check: str
    message: str
    episode: int | None = None
    array: str | None = None
    index: int | None = None
    expected: str | None = None
    found: str | None = None

    def locate(self) -> str:
        where = []
        if self.episode is not None:
            where.append(f"episode {self.episode}")
        if self.array is not None:
            where.append(f"array '{self.array}'")
        if self.index is not None:
            where.append(f"index {self.index}")
        loc = ", ".join(where) or "dataset"
        exp = f" (expected {self.expected}, found {self.found})" if self.expected else ""
        return f"[{self.check}] {loc}: {self.message}{exp}"


@dataclass
class ValidationReport:
    path: str
    episodes: int = 0
    steps: int = 0
    checks_run: list[str] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """Checks that could not run, and why (e.g. an environment that is not replayable)."""

    @property
    def ok(self) -> bool:
        return not self.failures

    def add(self, check: str, message: str, **where) -> None:
        self.failures.append(Failure(check=check, message=message,
                                     **{k: (None if v is None else (str(v) if k in (
                                         "expected", "found") else v)) for k, v in where.items()}))

    def as_dict(self) -> dict:
        out = {"path": self.path, "ok": self.ok, "episodes": self.episodes, "steps": self.steps,
               "checks_run": self.checks_run, "failures": [asdict(f) for f in self.failures]}
        if self.notes:
            out["notes"] = self.notes
        return out

    def text(self) -> str:
        head = (f"dataset {self.path}: {'VALID' if self.ok else 'INVALID'} - {self.episodes} "
                f"episodes, {self.steps} steps, {len(self.failures)} failure(s)")
        return "\n".join([head] + ["  " + f.locate() for f in self.failures]
                         + ["  note: " + n for n in self.notes])


class DatasetInvalid(RuntimeError):
    """A dataset failed validation; ``report`` locates every failure."""

    def __init__(self, report: ValidationReport, quarantined_to: Path | None = None):
        self.report = report
        self.quarantined_to = quarantined_to
        where = f" (quarantined to {quarantined_to})" if quarantined_to else ""
        super().__init__(report.text() + where)


CHECKS = ("readable", "metadata", "checksum", "episode_ids", "alignment", "episode_end",
          "finite", "observation_space", "action_space", "rewards", "outcomes", "min_episodes",
          "totals", "replay")


def validate_dataset(folder: str | Path, min_episodes: int = 1,
                     replay: bool = True) -> ValidationReport:
    """Validate the dataset in ``folder`` (its ``data/`` sub-folder holds the files).

    Read-only: nothing in ``folder`` is written. ``replay=False`` skips the re-simulation."""
    folder = Path(folder)
    checks = list(CHECKS) if replay else [c for c in CHECKS if c != "replay"]
    report = ValidationReport(path=str(folder), checks_run=checks)
    data_file = folder / DATA_DIR / DATA_FILE
    meta = _metadata(folder, report)
    if meta is not None and data_file.is_file():
        expected = meta.get("data_sha256")
        found = file_sha256(data_file)
        if expected != found:
            report.add("checksum", f"sha256 of {DATA_DIR}/{DATA_FILE} does not match metadata",
                       expected=expected, found=found)
    try:
        fh = h5py.File(data_file, "r")
    except (OSError, ValueError) as exc:
        report.add("readable", f"{data_file} cannot be opened as HDF5: {exc}")
        return report
    with fh:
        _episodes(fh, meta or {}, report, min_episodes)
    if replay and meta is not None and meta.get("replayable") is False:
        report.checks_run.remove("replay")
        report.notes.append(NOT_REPLAYABLE)
    elif replay and meta is not None and meta.get("env_config"):
        _replay(folder, report)
    return report


def _replay(folder: Path, report: ValidationReport) -> None:
    """Re-simulate every episode that passed the structural checks; name the first difference."""
    from harness.stages.dataset.playback import replay_all

    if any(f.check in ("readable", "episode_ids") for f in report.failures):
        return  # episode groups cannot be addressed reliably
    broken = {f.episode for f in report.failures if f.episode is not None}
    sound = [i for i in range(report.episodes) if i not in broken]
    try:
        replays = replay_all(folder, sound)
    except (KeyError, TypeError, ValueError) as exc:
        report.add("replay", f"episodes cannot be re-simulated from the metadata's env_config: "
                   f"{exc!r}", array=METADATA_FILE)
        return
    for rep in replays:
        first = rep.first_mismatch
        if first is None:
            continue
        t, what = first
        if what == "outcome":
            report.add("replay", "re-simulation from the episode seed with the recorded actions "
                       "ends differently", episode=rep.episode, array="outcome", index=t,
                       expected=rep.outcome_recorded, found=rep.outcome_replayed)
        else:
            diff = rep.obs_max_abs_diff if what == "observations" else rep.reward_max_abs_diff
            report.add("replay", f"re-simulation from seed {rep.seed} with the recorded actions "
                       f"first differs here", episode=rep.episode, array=what, index=t,
                       expected="the recorded value", found=f"max abs diff {diff:.3g}")


def _metadata(folder: Path, report: ValidationReport) -> dict | None:
    path = folder / DATA_DIR / METADATA_FILE
    try:
        meta = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        report.add("metadata", f"{path} cannot be read as JSON: {exc}")
        return None
    for key in (*MINARI_KEYS, *MANDATORY_KEYS):
        if key not in meta or meta[key] in (None, "", [], {}):
            report.add("metadata", f"mandatory key '{key}' is missing or empty",
                       array=METADATA_FILE, expected=MANDATORY_KEYS.get(key, "Minari key"),
                       found="missing")
    if "demonstrator" in meta:
        _demonstrator(meta["demonstrator"], report)
    return meta


def _demonstrator(d, report: ValidationReport) -> None:
    """A degraded demonstrator's declaration and its measured quality (issue 24)."""
    def bad(field: str, expected: str, found) -> None:
        report.add("metadata", f"demonstrator.{field} is not {expected}", array=METADATA_FILE,
                   expected=expected, found=repr(found))

    if not isinstance(d, dict):
        return bad("", "a mapping", d)
    eps = d.get("epsilon")
    if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not 0.0 <= eps <= 1.0:
        bad("epsilon", "a number in [0, 1]", eps)
    q = d.get("quality")
    if not isinstance(q, dict):
        return bad("quality", "the measured evaluation (a mapping)", q)
    if not isinstance(q.get("episodes"), int) or q["episodes"] < 1:
        bad("quality.episodes", "a positive number of evaluation episodes", q.get("episodes"))
    for rate in ("success_rate", "collision_rate"):
        v = q.get(rate)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0.0 <= v <= 1.0:
            bad(f"quality.{rate}", "a rate in [0, 1]", v)


def _episodes(fh: h5py.File, meta: dict, report: ValidationReport, min_episodes: int) -> None:
    names = list(fh.keys())
    bad = [n for n in names if not n.startswith("episode_")]
    for n in bad:
        report.add("episode_ids", f"unexpected top-level entry '{n}'", expected="episode_<i>",
                   found=n)
    ids = sorted(int(n.split("_", 1)[1]) for n in names if n.startswith("episode_")
                 and n.split("_", 1)[1].isdigit())
    if ids != list(range(len(ids))):
        missing = sorted(set(range(max(ids, default=-1) + 1)) - set(ids))
        report.add("episode_ids", "episode groups are not numbered 0..N-1",
                   expected=f"0..{len(ids) - 1}", found=f"missing {missing[:10]}")
    contract = meta.get("observation_contract") or {}
    low = np.asarray(contract.get("low", []), dtype=np.float64)
    high = np.asarray(contract.get("high", []), dtype=np.float64)
    if not generic_layout(meta):  # the built-in simulator's layout: float32 bounds
        low, high = low.astype(np.float32), high.astype(np.float32)
    spaces = Spaces(meta.get("info_keys", INFO_KEYS), meta.get("action_contract") or {},
                    generic_layout(meta))
    seen_attr_ids: set[int] = set()
    seeds = []
    steps = 0
    for i in ids:
        g = fh[f"episode_{i}"]
        attr_id = int(g.attrs.get("id", -1))
        if attr_id != i or attr_id in seen_attr_ids:
            report.add("episode_ids", "episode id attribute is not unique and equal to its "
                       "group number", episode=i, expected=i, found=attr_id)
        seen_attr_ids.add(attr_id)
        seeds.append(int(g.attrs["seed"]) if "seed" in g.attrs else None)
        steps += _episode(i, g, low, high, report, spaces)
    report.episodes = len(ids)
    report.steps = steps
    if len(ids) < min_episodes:
        report.add("min_episodes", "too few episodes", expected=f">= {min_episodes}",
                   found=len(ids))
    if meta:
        if meta.get("total_episodes") != len(ids):
            report.add("totals", "metadata total_episodes differs from the file",
                       array=METADATA_FILE, expected=len(ids), found=meta.get("total_episodes"))
        if meta.get("total_steps") != steps:
            report.add("totals", "metadata total_steps differs from the file",
                       array=METADATA_FILE, expected=steps, found=meta.get("total_steps"))
        if "seeds" in meta and list(meta["seeds"]) != seeds:
            report.add("totals", "metadata seeds differ from the episodes' seed attributes",
                       array=METADATA_FILE, expected="the episode seeds in order",
                       found=f"{len(meta['seeds'])} seeds, first mismatch at episode "
                             f"{_first_diff(meta['seeds'], seeds)}")


def _first_diff(a: list, b: list) -> int:
    for k, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return k
    return min(len(a), len(b))


@dataclass(frozen=True)
class Spaces:
    """What the episodes are checked against beyond the observation bounds."""

    info_keys: tuple[str, ...]
    action: dict
    declared: bool
    """A declared environment's dataset (its contracts describe its spaces generically)."""


NOT_REPLAYABLE = ("replay not run: the environment is not deterministic under reset(seed) "
                  "(probed when the dataset was recorded), so its episodes cannot be "
                  "re-simulated from seed and actions")


def _episode(i: int, g: h5py.Group, low: np.ndarray, high: np.ndarray,
             report: ValidationReport, spaces: Spaces) -> int:
    required = ("observations", "actions", "rewards", "terminations", "truncations", "infos")
    for name in required:
        if name not in g:
            report.add("alignment", "array is missing", episode=i, array=name,
                       expected="present", found="missing")
    if any(name not in g for name in required):
        return 0
    T = int(g.attrs.get("total_steps", len(g["actions"])))
    arrays = {"observations": g["observations"][()], "actions": g["actions"][()],
              "rewards": g["rewards"][()], "terminations": g["terminations"][()],
              "truncations": g["truncations"][()]}
    infos = {k: g["infos"][k][()] for k in g["infos"].keys()}
    lengths = {"observations": T + 1, "actions": T, "rewards": T, "terminations": T,
               "truncations": T, **{f"infos/{k}": T + 1 for k in infos}}
    aligned = True
    for name, want in lengths.items():
        arr = infos[name[6:]] if name.startswith("infos/") else arrays[name]
        if arr.shape[0] != want:
            aligned = False
            report.add("alignment", "length does not match total_steps", episode=i, array=name,
                       expected=f"{want} rows (T={T})", found=f"{arr.shape[0]} rows")
    for key in spaces.info_keys:
        if key not in infos:
            report.add("alignment", "info array is missing", episode=i, array=f"infos/{key}",
                       expected="present", found="missing")
    obs, act, rew = arrays["observations"], arrays["actions"], arrays["rewards"]
    for name, arr in (("observations", obs), ("actions", act), ("rewards", rew),
                      *((f"infos/{k}", v) for k, v in infos.items() if v.dtype.kind == "f")):
        bad = ~np.isfinite(arr)
        if bad.any():
            idx = int(np.argwhere(bad)[0][0])
            report.add("finite", "NaN or inf value", episode=i, array=name, index=idx,
                       expected="finite", found=arr.reshape(len(arr), -1)[idx].tolist())
    flat = obs.reshape(len(obs), -1) if obs.ndim >= 2 else obs
    if obs.ndim >= 2 and low.size and flat.shape[1] != low.size:
        report.add("observation_space", "observation width differs from the contract",
                   episode=i, array="observations", expected=low.size, found=flat.shape[1])
    elif obs.ndim >= 2 and low.size:
        obs = flat
        out = (obs < low - SPACE_TOLERANCE) | (obs > high + SPACE_TOLERANCE)
        if out.any():
            t, d = (int(x) for x in np.argwhere(out)[0])
            report.add("observation_space", f"value outside the observation space (dim {d})",
                       episode=i, array="observations", index=t,
                       expected=f"[{low[d]}, {high[d]}]", found=float(obs[t, d]))
    if spaces.declared:
        _declared_actions(i, act, spaces.action, report)
    elif act.ndim != 2 or act.shape[-1] != 2:
        report.add("action_space", "actions are not (T, 2)", episode=i, array="actions",
                   expected="(T, 2)", found=act.shape)
    else:
        out = (act < -1.0 - SPACE_TOLERANCE) | (act > 1.0 + SPACE_TOLERANCE)
        if out.any():
            t, d = (int(x) for x in np.argwhere(out)[0])
            report.add("action_space", f"value outside the action space (dim {d})", episode=i,
                       array="actions", index=t, expected="[-1, 1]", found=float(act[t, d]))
    if aligned:
        _ends(i, g, arrays, infos, T, report, spaces.declared)
    return T


def _declared_actions(i: int, act: np.ndarray, contract: dict, report: ValidationReport) -> None:
    """Actions against a declared environment's action contract (Discrete or Box)."""
    if contract.get("kind") == "discrete":
        start, n = contract["start"], contract["n"]
        bad = (act != np.round(act)) | (act < start) | (act >= start + n) if act.ndim == 1 \
            else np.ones(len(act), dtype=bool)
        if act.ndim != 1:
            report.add("action_space", "discrete actions are not (T,)", episode=i,
                       array="actions", expected="(T,)", found=act.shape)
        elif bad.any():
            t = int(np.flatnonzero(bad)[0])
            report.add("action_space", "value outside the discrete action space", episode=i,
                       array="actions", index=t, expected=f"an integer in [{start}, "
                       f"{start + n - 1}]", found=act[t].item())
        return
    shape = tuple(contract.get("shape", ()))
    if tuple(act.shape[1:]) != shape:
        report.add("action_space", "actions do not have the contract's shape", episode=i,
                   array="actions", expected=f"(T, {', '.join(map(str, shape))})",
                   found=act.shape)
        return
    low, high = np.asarray(contract["low"]), np.asarray(contract["high"])
    flat = act.reshape(len(act), -1)
    out = (flat < low - SPACE_TOLERANCE) | (flat > high + SPACE_TOLERANCE)
    if out.any():
        t, d = (int(x) for x in np.argwhere(out)[0])
        report.add("action_space", f"value outside the action space (dim {d})", episode=i,
                   array="actions", index=t, expected=f"[{low[d]}, {high[d]}]",
                   found=float(flat[t, d]))


def _ends(i: int, g: h5py.Group, arrays: dict, infos: dict, T: int,
          report: ValidationReport, declared: bool = False) -> None:
    term, trunc, rew = arrays["terminations"], arrays["truncations"], arrays["rewards"]
    ends = np.flatnonzero(term | trunc)
    if T == 0 or len(ends) == 0:
        report.add("episode_end", "no episode end", episode=i, array="terminations|truncations",
                   index=T - 1, expected="one end at the last step", found="none")
    else:
        if ends[0] != T - 1:
            report.add("episode_end", "episode ends before its last step", episode=i,
                       array="terminations|truncations", index=int(ends[0]),
                       expected=f"end only at index {T - 1}", found=f"end at {int(ends[0])}")
        # Gymnasium lets an episode end terminated and truncated at once (highway-env: a crash
        # on the step the time runs out); the built-in simulator sets exactly one
        if term[-1] and trunc[-1] and not declared:
            report.add("episode_end", "terminated and truncated at once", episode=i,
                       array="terminations|truncations", index=T - 1,
                       expected="exactly one flag", found="both")
    if "return" in g.attrs and np.isfinite(rew).all():
        total = float(np.sum(rew))
        if abs(total - float(g.attrs["return"])) > RETURN_TOLERANCE * max(1.0, abs(total)):
            report.add("rewards", "rewards do not sum to the recorded episode return",
                       episode=i, array="rewards", expected=float(g.attrs["return"]),
                       found=total)
    outcome = g.attrs.get("outcome")
    if outcome not in OUTCOMES:
        report.add("outcomes", "unknown outcome attribute", episode=i, expected=list(OUTCOMES),
                   found=outcome)
        return
    if T == 0:
        return
    want_term = outcome in ("success", "collision")
    # a declared environment's outcome rule may count a truncation as a success (and its
    # flags are checked below); the simulator's outcomes fix the terminal flags
    if not declared and (bool(term[-1]) != want_term or bool(trunc[-1]) == want_term):
        report.add("outcomes", f"terminal flags disagree with outcome '{outcome}'", episode=i,
                   array="terminations" if want_term else "truncations", index=T - 1,
                   expected="terminated" if want_term else "truncated",
                   found=f"terminated={bool(term[-1])}, truncated={bool(trunc[-1])}")
    flag = OUTCOME_FLAGS[outcome]
    if flag in infos and not bool(infos[flag][-1]):
        report.add("outcomes", f"last info does not report {flag}", episode=i,
                   array=f"infos/{flag}", index=T, expected=True, found=bool(infos[flag][-1]))
