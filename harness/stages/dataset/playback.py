"""Playback: re-simulate recorded episodes from their seed and actions, render them, and check
the re-simulated observations and rewards against the recorded ones."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import h5py
import numpy as np
from PIL import Image

from harness.envs import environment, from_config
from harness.nav.outcomes import outcome_of_info
from harness.stages.dataset.schema import DATA_DIR, DATA_FILE, METADATA_FILE

NOT_REPLAYABLE = "not replayable: the environment is not deterministic under reset(seed)"


@dataclass(frozen=True)
class Replay:
    episode: int
    seed: int
    scenario: str
    steps: int
    obs_max_abs_diff: float
    reward_max_abs_diff: float
    first_obs_mismatch: int | None
    first_reward_mismatch: int | None
    outcome_recorded: str
    outcome_replayed: str

    @property
    def first_mismatch(self) -> tuple[int, str] | None:
        """(step, what) of the first difference between recording and re-simulation."""
        pairs = ((self.first_obs_mismatch, "observations"),
                 (self.first_reward_mismatch, "rewards"))
        found = [(t, what) for t, what in pairs if t is not None]
        if found:
            return min(found)
        if self.outcome_recorded != self.outcome_replayed:
            return self.steps, "outcome"
        return None

    @property
    def matches(self) -> bool:
        return (self.first_obs_mismatch is None and self.first_reward_mismatch is None
                and self.outcome_recorded == self.outcome_replayed)


def scenarios_from_metadata(meta: dict) -> dict:
    """Rebuild every recorded scenario (or declared environment family) from the dataset's own
    env_config (no spec files)."""
    return {name: from_config(cfg) for name, cfg in meta["env_config"].items()}


def make_env(scenario, render_mode: str | None = None):
    """The single-episode environment that replays a recorded episode."""
    return environment(scenario).make(render_mode=render_mode)


def is_replayable(folder: Path) -> bool:
    """False when the dataset's recording probe found the environment not deterministic."""
    meta = json.loads((folder / DATA_DIR / METADATA_FILE).read_text())
    return meta.get("replayable", True) is not False


class PlaybackError(ValueError):
    """Playback was asked for something the dataset does not hold."""


def episode_count(folder: Path) -> int:
    with h5py.File(folder / DATA_DIR / DATA_FILE, "r") as fh:
        return sum(1 for name in fh if name.startswith("episode_"))


def check_episodes(folder: Path, episodes: list[int]) -> None:
    """Raise :class:`PlaybackError` naming the first requested episode the dataset lacks."""
    n = episode_count(folder)
    for ep in episodes:
        if not 0 <= ep < n:
            raise PlaybackError(f"{folder / DATA_DIR / DATA_FILE}: episode {ep} does not exist "
                                f"(expected an episode index in 0..{n - 1})")


def replay_episode(folder: Path, episode: int, frames: bool = False,
                   atol: float = 0.0) -> tuple[Replay, list[np.ndarray]]:
    """Re-simulate one episode; ``atol`` 0 demands bit-exact observations and rewards."""
    meta = json.loads((folder / DATA_DIR / METADATA_FILE).read_text())
    scenarios = scenarios_from_metadata(meta)
    with h5py.File(folder / DATA_DIR / DATA_FILE, "r") as fh:
        recorded = _recorded(fh, episode)
    env = make_env(scenarios[recorded[1]], render_mode="rgb_array" if frames else None)
    try:
        return _replay(env, episode, *recorded, frames=frames, atol=atol)
    finally:
        env.close()


def replay_all(folder: Path, episodes: list[int] | None = None,
               atol: float = 0.0) -> list[Replay]:
    """Re-simulate many episodes without rendering, opening the file and building each
    scenario's environment once (the whole dataset in about a second)."""
    meta = json.loads((folder / DATA_DIR / METADATA_FILE).read_text())
    scenarios = scenarios_from_metadata(meta)
    envs: dict = {}
    out = []
    with h5py.File(folder / DATA_DIR / DATA_FILE, "r") as fh:
        if episodes is None:
            episodes = list(range(sum(1 for n in fh if n.startswith("episode_"))))
        for ep in episodes:
            recorded = _recorded(fh, ep)
            name = recorded[1]
            if name not in envs:
                envs[name] = make_env(scenarios[name])
            out.append(_replay(envs[name], ep, *recorded, atol=atol)[0])
    for env in envs.values():
        env.close()
    return out


def _recorded(fh: h5py.File, episode: int) -> tuple:
    g = fh[f"episode_{episode}"]
    return (int(g.attrs["seed"]), str(g.attrs["scenario"]), str(g.attrs["outcome"]),
            g["observations"][()], g["actions"][()], g["rewards"][()])


def _replay(env, episode: int, seed: int, name: str, outcome: str, obs_rec: np.ndarray,
            act: np.ndarray, rew_rec: np.ndarray, frames: bool = False,
            atol: float = 0.0) -> tuple[Replay, list[np.ndarray]]:
    obs, _ = env.reset(seed=seed)
    images = [env.render()] if frames else []
    images = [im for im in images if im is not None]
    obs_sim, rew_sim = [obs], []
    info: dict = {}
    for a in act:
        obs, r, terminated, truncated, info = env.step(a)
        obs_sim.append(obs)
        rew_sim.append(r)
        if frames:
            im = env.render()
            if im is not None:
                images.append(im)
        if terminated or truncated:
            break
    replayed = outcome_of_info(info)
    n = min(len(obs_sim), len(obs_rec))
    # in float64: a declared env's uint8 observations must not wrap around when subtracted
    od = np.abs(np.asarray(obs_sim[:n], dtype=np.float64).reshape(n, -1)
                - np.asarray(obs_rec[:n], dtype=np.float64).reshape(n, -1)).max(axis=1) \
        if n else np.zeros(0)
    m = min(len(rew_sim), len(rew_rec))
    rd = np.abs(np.asarray(rew_sim[:m]) - rew_rec[:m]) if m else np.zeros(0)
    obs_bad = np.flatnonzero(od > atol)
    rew_bad = np.flatnonzero(rd > atol)
    first_obs = int(obs_bad[0]) if obs_bad.size else (n if len(obs_sim) != len(obs_rec) else None)
    first_rew = int(rew_bad[0]) if rew_bad.size else (m if len(rew_sim) != len(rew_rec) else None)
    return Replay(episode=episode, seed=seed, scenario=name, steps=len(act),
                  obs_max_abs_diff=float(od.max()) if od.size else 0.0,
                  reward_max_abs_diff=float(rd.max()) if rd.size else 0.0,
                  first_obs_mismatch=first_obs, first_reward_mismatch=first_rew,
                  outcome_recorded=outcome, outcome_replayed=replayed), images


def write_gif(images: list[np.ndarray], path: Path, fps: int = 10, scale: float = 0.6) -> Path:
    pil = [Image.fromarray(im) for im in images]
    if scale != 1.0:
        size = (int(pil[0].width * scale), int(pil[0].height * scale))
        pil = [p.resize(size) for p in pil]
    path.parent.mkdir(parents=True, exist_ok=True)
    pil[0].save(path, save_all=True, append_images=pil[1:], duration=int(1000 / fps), loop=0,
                optimize=True)
    return path


def write_mp4(images: list[np.ndarray], path: Path, fps: int = 10) -> Path:
    """H.264 MP4 with the ffmpeg binary the ``imageio-ffmpeg`` wheel ships (no system ffmpeg);
    frames are padded to even sizes (yuv420p needs them)."""
    import imageio.v2 as imageio

    h, w = images[0].shape[:2]
    ph, pw = h + h % 2, w + w % 2
    path.parent.mkdir(parents=True, exist_ok=True)
    with imageio.get_writer(path, fps=fps, codec="libx264", macro_block_size=1,
                            ffmpeg_log_level="error", pixelformat="yuv420p") as writer:
        for im in images:
            frame = np.zeros((ph, pw, 3), dtype=np.uint8)
            frame[:h, :w] = np.asarray(im, dtype=np.uint8)[..., :3]
            writer.append_data(frame)
    return path


def playback(folder: Path, episodes: list[int], out_dir: Path) -> list[dict]:
    """Render each episode to ``out_dir/episode_<i>.gif`` and ``.mp4`` (+ a key frame PNG) and
    replay-check it; returns one row per episode with the paths and the replay comparison.

    An environment that is not deterministic under ``reset(seed)`` is not re-simulated (its
    frames would show another episode): its rows say so. One without ``rgb_array`` rendering
    is replay-checked without frames."""
    check_episodes(folder, episodes)
    if not is_replayable(folder):
        with h5py.File(folder / DATA_DIR / DATA_FILE, "r") as fh:
            return [{"episode": ep, "seed": int(fh[f"episode_{ep}"].attrs["seed"]),
                     "outcome_recorded": str(fh[f"episode_{ep}"].attrs["outcome"]),
                     "matches": None, "gif": None, "replay": NOT_REPLAYABLE}
                    for ep in episodes]
    rows = []
    for ep in episodes:
        replay, images = replay_episode(folder, ep, frames=True)
        row = {**asdict(replay), "matches": replay.matches}
        if images:
            key = out_dir / f"episode_{ep}_final.png"
            out_dir.mkdir(parents=True, exist_ok=True)
            Image.fromarray(np.asarray(images[-1], dtype=np.uint8)[..., :3]).save(key)
            row.update(gif=str(write_gif(images, out_dir / f"episode_{ep}.gif")),
                       mp4=str(write_mp4(images, out_dir / f"episode_{ep}.mp4")),
                       final_frame=str(key))
        else:
            row["frames"] = "none: the environment has no rgb_array rendering"
        rows.append(row)
    return rows


def replay_check(folder: Path, episodes: list[int]) -> list[Replay]:
    """Replay without rendering (fast): the anomaly source 'replay mismatch' (nothing for an
    environment that is not replayable)."""
    return replay_all(folder, episodes) if is_replayable(folder) else []
