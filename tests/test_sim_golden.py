"""Golden trajectories: the simulator's every output, hashed, for fixed seeds and actions.

Guards refactorings of :mod:`harness.nav` that must not change behaviour (issue 10, item 6): any
difference in any bit of an observation, reward, flag, outcome, contact, info or state array
changes a digest. The digests were recorded before the refactoring; if a change of behaviour is
intended, regenerate them with ``python -m tests.test_sim_golden`` and say why in the commit.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from harness.nav.core import NavBatch
from harness.nav.env import NavEnv
from harness.nav.vec_env import NavVecEnv
from harness.spec.scenarios import load_scenarios

SLOTS, STEPS = 16, 400


class Digests:
    """One sha256 per named stream; arrays are hashed with their dtype and shape."""

    def __init__(self):
        self._h: dict[str, hashlib._Hash] = {}

    def add(self, key: str, value) -> None:
        h = self._h.setdefault(key, hashlib.sha256())
        if isinstance(value, np.ndarray):
            h.update(f"{value.dtype.str}{value.shape}".encode())
            h.update(np.ascontiguousarray(value).tobytes())
        else:
            h.update(json.dumps(value, sort_keys=True, default=_plain).encode())

    def hexdigests(self) -> dict[str, str]:
        return {k: h.hexdigest()[:16] for k, h in sorted(self._h.items())}


def _plain(value):
    if isinstance(value, np.ndarray):
        return hashlib.sha256(f"{value.dtype.str}{value.shape}".encode()
                              + np.ascontiguousarray(value).tobytes()).hexdigest()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(type(value).__name__)


def _actions(seed: int, n: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1.0, 1.0, (STEPS, n, 2))


def _policy(obs: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """Even slots steer toward the goal (so that episodes also succeed and meet pedestrians),
    odd slots act at random."""
    seek = np.stack([obs[:, -3], 3.0 * obs[:, -4]], axis=1) + 0.3 * noise
    return np.where((np.arange(len(obs)) % 2 == 0)[:, None], seek, noise).astype(np.float32)


def batch_digests(name: str) -> dict[str, str]:
    """``NavBatch`` driven directly; the caller resets finished slots, as evaluation does."""
    sim = NavBatch(load_scenarios()[name], SLOTS)
    d = Digests()
    next_seed = 1000
    for i in range(SLOTS):
        d.add("reset_obs", sim.reset(i, next_seed))
        d.add("layout_info", sim.layout_info(i))
        next_seed += 1
    obs = sim.observe()
    d.add("observe", obs)
    noise = _actions(7, SLOTS)
    for t in range(STEPS):
        res = sim.step(_policy(obs, noise[t]))
        obs = res.obs
        for key in ("obs", "reward", "terminated", "truncated", "outcome", "contact"):
            d.add(key, getattr(res, key))
        for key in ("pos", "theta", "v", "w", "t", "path_length", "min_clearance",
                    "episode_return", "last_ranges", "ped_pos", "ped_vel"):
            d.add("state_" + key, getattr(sim, key))
        for i in np.flatnonzero(res.terminated | res.truncated):
            d.add("info", sim.info(int(i), int(res.outcome[i]), int(res.contact[i])))
            obs[i] = sim.reset(int(i), next_seed)
            d.add("reset_obs", obs[i])
            d.add("layout_info", sim.layout_info(int(i)))
            next_seed += 1
    return d.hexdigests()


def vec_digests(name: str) -> dict[str, str]:
    """The SB3 face with auto-resets, seeded both ways (SB3's ``seed`` and a seed block)."""
    d = Digests()
    for label, env in (("seeded", NavVecEnv(name, SLOTS, seed=11)),
                       ("block", NavVecEnv(name, 8, seed_block=(5000, 9000)))):
        obs = env.reset()
        d.add(label + "_reset", obs)
        noise = _actions(3, env.num_envs)
        for t in range(STEPS):
            obs, rew, done, infos = env.step(_policy(obs, noise[t]))
            d.add(label + "_obs", obs)
            d.add(label + "_reward", rew)
            d.add(label + "_done", done)
            d.add(label + "_infos", infos)
        d.add(label + "_seeds_played", env.seeds_played())
    return d.hexdigests()


def single_digests(name: str) -> dict[str, str]:
    """The Gymnasium face, including rendered frames."""
    d = Digests()
    env = NavEnv(name, render_mode="rgb_array")
    obs, info = env.reset(seed=21)
    d.add("reset", [obs, info])
    noise = _actions(5, 1)
    for t in range(STEPS):
        obs, r, te, tr, info = env.step(_policy(obs[None], noise[t])[0])
        d.add("step", [obs, r, te, tr, info])
        if t % 50 == 0:
            d.add("frame", env.render())
        if te or tr:
            obs, info = env.reset()
            d.add("reset", [obs, info])
    return d.hexdigests()


FACES = {"batch": batch_digests, "vec": vec_digests, "single": single_digests}

GOLDEN: dict[str, dict[str, dict[str, str]]] = {
    "open": {
        "batch": {
            "contact": "8c084bc946eaecda",
            "info": "fe3482360936ca24",
            "layout_info": "1b3370ac50f73707",
            "obs": "8cab10913f71cc1b",
            "observe": "f8bfc2e1e5fa80ef",
            "outcome": "0f79c35fdec9e9bf",
            "reset_obs": "a14c45677dc3d73c",
            "reward": "cde1becb98034943",
            "state_episode_return": "98632b546b1b0da7",
            "state_last_ranges": "fc5b7b523ab76394",
            "state_min_clearance": "f898e53f39ec55f9",
            "state_path_length": "5dc9625e53df3071",
            "state_ped_pos": "e15aea4c3c66fa2b",
            "state_ped_vel": "e15aea4c3c66fa2b",
            "state_pos": "1bde01d2b8f1f422",
            "state_t": "551572fb3e44bab6",
            "state_theta": "88b1f3b9b1cbaa34",
            "state_v": "06d8f4f1f0477234",
            "state_w": "815a62ed70938d40",
            "terminated": "68e9d83a66dab885",
            "truncated": "19ed4baa8e4d7508"
        },
        "vec": {
            "block_done": "47864460f0a3ce22",
            "block_infos": "428464a175d021cd",
            "block_obs": "7a478b01dc81dac6",
            "block_reset": "081985e6bf4fd54b",
            "block_reward": "83b85a582fadfdf0",
            "block_seeds_played": "055cbe538d72470f",
            "seeded_done": "2798096afe5dff4c",
            "seeded_infos": "9c8b59f891d5261a",
            "seeded_obs": "c93986301587c93a",
            "seeded_reset": "5861916a21adaa69",
            "seeded_reward": "7132938a43c33f5a",
            "seeded_seeds_played": "74234e98afe7498f"
        },
        "single": {
            "frame": "9766450c7d446cfa",
            "reset": "bd8b9f99ea5f4459",
            "step": "c965736eb6846212"
        }
    },
    "cluttered": {
        "batch": {
            "contact": "9800eaeb4421aa96",
            "info": "7e7243000660eb94",
            "layout_info": "2971e6b5853fd410",
            "obs": "3e10100dadfca00d",
            "observe": "ae28a8d757aa014d",
            "outcome": "8ac848bbaba40f04",
            "reset_obs": "090307bcff1650e2",
            "reward": "deb3dbf740390f29",
            "state_episode_return": "34556603e467e799",
            "state_last_ranges": "e907939a546ad8c7",
            "state_min_clearance": "2741a08ce43a3438",
            "state_path_length": "eee66726f77abd08",
            "state_ped_pos": "e15aea4c3c66fa2b",
            "state_ped_vel": "e15aea4c3c66fa2b",
            "state_pos": "b562d4e68b4defac",
            "state_t": "1970abff8afa0d80",
            "state_theta": "312cf3daa38b4ace",
            "state_v": "67cc848dfedf6535",
            "state_w": "81d32593049d6fc6",
            "terminated": "f62c0b5231f11073",
            "truncated": "145946ad6f9dca4f"
        },
        "vec": {
            "block_done": "2e1d00ae1f7ca4df",
            "block_infos": "996963dc7ebd6a2b",
            "block_obs": "6debc4d92750438c",
            "block_reset": "2e15f6ef4741d49e",
            "block_reward": "f30a1a9a8a249bc1",
            "block_seeds_played": "84648228cb0b966c",
            "seeded_done": "ec22d18c23e8bd38",
            "seeded_infos": "1588db14b728a30a",
            "seeded_obs": "d4843fdf887c11f4",
            "seeded_reset": "aeb2008faac10d9b",
            "seeded_reward": "5ea552bada597d46",
            "seeded_seeds_played": "74234e98afe7498f"
        },
        "single": {
            "frame": "c9e85f55473eebf5",
            "reset": "e5bed95e77e311a9",
            "step": "6bbcc9af2004d98e"
        }
    },
    "corridor": {
        "batch": {
            "contact": "e9ab8914060c94a3",
            "info": "53751d46a18982db",
            "layout_info": "c35fbcbd732ec8c1",
            "obs": "7dd2af5951408caa",
            "observe": "166cfa7652ba4043",
            "outcome": "70aaa311ecfd5feb",
            "reset_obs": "48c3f5f96bd7a1bf",
            "reward": "d71b3feb01b3a3d1",
            "state_episode_return": "babd29ae525fc12f",
            "state_last_ranges": "d18d0d448a9a25ea",
            "state_min_clearance": "6a90063d2677cbaa",
            "state_path_length": "f181258090c4eb0e",
            "state_ped_pos": "b6c3210da1f2f833",
            "state_ped_vel": "298fbb54d437ac06",
            "state_pos": "0669916ba96c5844",
            "state_t": "578446d337f345f5",
            "state_theta": "6e0bd55102348259",
            "state_v": "c0ca17374b1002ad",
            "state_w": "c998b976d1823dd2",
            "terminated": "91ffa04e80eacfca",
            "truncated": "98798912a9490d3d"
        },
        "vec": {
            "block_done": "7a04cb4a28a30cc3",
            "block_infos": "289ba14ddcbec5ec",
            "block_obs": "69849ed6a44243db",
            "block_reset": "a7c29a0cf6d823de",
            "block_reward": "f8cdcc79644035cb",
            "block_seeds_played": "0a7efc8100311917",
            "seeded_done": "0eae31d8845c366f",
            "seeded_infos": "2a1260d335c025d6",
            "seeded_obs": "16fecddc2c815b24",
            "seeded_reset": "813ab846f10ef534",
            "seeded_reward": "f484b324371e3b47",
            "seeded_seeds_played": "74234e98afe7498f"
        },
        "single": {
            "frame": "fe28e047d7a22df1",
            "reset": "f49c8d63db01fb4d",
            "step": "a59e3c390d664051"
        }
    },
    "doorway": {
        "batch": {
            "contact": "efd62b3e1f6092c0",
            "info": "9ed279f435029b9a",
            "layout_info": "539b09caec7befac",
            "obs": "9740663bd64d832d",
            "observe": "498ac7e61af25792",
            "outcome": "f7616d4eae18fdab",
            "reset_obs": "402f68c5f5c65734",
            "reward": "7f37951bd6f9bae7",
            "state_episode_return": "b10c212db77dd78c",
            "state_last_ranges": "286fc2684e424cb6",
            "state_min_clearance": "e517a3515652b76c",
            "state_path_length": "41429a12f2bafd80",
            "state_ped_pos": "ed1cd32566a91402",
            "state_ped_vel": "ebe960d6e18709ff",
            "state_pos": "ed09e222c7bf495b",
            "state_t": "f34f6e552e390ce9",
            "state_theta": "4f90b83a19a13b5f",
            "state_v": "bc57ec8704a14ebd",
            "state_w": "08237b9645484ce9",
            "terminated": "8a88b6d1b953faa9",
            "truncated": "cb07a49d70ed7c37"
        },
        "vec": {
            "block_done": "d4c38c66dc50ae8b",
            "block_infos": "2d001ad33f9fd34a",
            "block_obs": "c0c033ba3a0a7d42",
            "block_reset": "9796ab354e0e6b70",
            "block_reward": "54573aa2932437a1",
            "block_seeds_played": "68ac9078d6b39e78",
            "seeded_done": "f744c666e8d9a993",
            "seeded_infos": "70356634c58588e7",
            "seeded_obs": "2be3ada6fb47da97",
            "seeded_reset": "a690611cfc41a8fd",
            "seeded_reward": "dbf436ccd5423f03",
            "seeded_seeds_played": "74234e98afe7498f"
        },
        "single": {
            "frame": "0b730d2f7b11c1c7",
            "reset": "9760313283817d59",
            "step": "f121d68b3ef692fa"
        }
    },
    "crowd": {
        "batch": {
            "contact": "eb629fbe23c3bb1d",
            "info": "b4ce22ae6c1da76d",
            "layout_info": "b5ee283190a941ed",
            "obs": "fc09c66450030915",
            "observe": "f6c9dc617e43eb82",
            "outcome": "8bc56fe2eb6736e3",
            "reset_obs": "880fb92e96df428b",
            "reward": "02ca9b54fa372326",
            "state_episode_return": "7bcd133b1d840125",
            "state_last_ranges": "56a61eb1c7d68f5d",
            "state_min_clearance": "b40210dacbced7ef",
            "state_path_length": "35c027c76ac7b06b",
            "state_ped_pos": "583aec56f0149aab",
            "state_ped_vel": "1e75810c21134d7a",
            "state_pos": "f0101376babc69ba",
            "state_t": "dfae3323abe07e23",
            "state_theta": "592492db02d1b2e9",
            "state_v": "3f173b2eac085296",
            "state_w": "1e98e2b0c098b4bb",
            "terminated": "47dd91cf357cfa9b",
            "truncated": "145946ad6f9dca4f"
        },
        "vec": {
            "block_done": "4932352172e9f541",
            "block_infos": "b2a6cc58124d5f5d",
            "block_obs": "412d2af2c446056b",
            "block_reset": "f28f527acfcaef13",
            "block_reward": "2bcdac2e671550df",
            "block_seeds_played": "5f569fd959511c24",
            "seeded_done": "b8a3a8a0e573ca39",
            "seeded_infos": "e43322d1477ec999",
            "seeded_obs": "b7d97aaed4d2ef94",
            "seeded_reset": "398e270a0afbc2c2",
            "seeded_reward": "c7d9548d6c654ad4",
            "seeded_seeds_played": "74234e98afe7498f"
        },
        "single": {
            "frame": "08dd018259e5e6d6",
            "reset": "555c9f43801ae166",
            "step": "851346405d4f8dbc"
        }
    },
    "dense_crowd": {
        "batch": {
            "contact": "81ea40094361d557",
            "info": "6bad62b8e9dab864",
            "layout_info": "bf0bbde622851892",
            "obs": "4a176991ca086af8",
            "observe": "b50d74ae3643e5c0",
            "outcome": "1e0582467250d1bb",
            "reset_obs": "74625004ab76ccf6",
            "reward": "b6b2a6109089300d",
            "state_episode_return": "0a08ae84991ebf52",
            "state_last_ranges": "3a9b0836a880b2aa",
            "state_min_clearance": "9e67a7b34e4947bd",
            "state_path_length": "4dbf79fed7949bdc",
            "state_ped_pos": "76aba6b23dbbb4ac",
            "state_ped_vel": "b3382f4c56a1a9a1",
            "state_pos": "04a504ffb9fe44b1",
            "state_t": "a17355d42e71d4ae",
            "state_theta": "c8ec7f07860fc598",
            "state_v": "debcf233f81c3a98",
            "state_w": "19a0469de982913d",
            "terminated": "0274bb7adcb496cc",
            "truncated": "145946ad6f9dca4f"
        },
        "vec": {
            "block_done": "679e87ed4a2095bd",
            "block_infos": "903ee9b50ad4e0be",
            "block_obs": "904e8ad3f1b2c038",
            "block_reset": "49c3b0d59ac9538a",
            "block_reward": "5d9f19122ba20d5d",
            "block_seeds_played": "67f0b0612d4100fe",
            "seeded_done": "1cd88a4820816bb6",
            "seeded_infos": "d5fc8a10333fd3d8",
            "seeded_obs": "a76618c5f8a782ef",
            "seeded_reset": "119bd15dadf317aa",
            "seeded_reward": "c3b21410b7886aa1",
            "seeded_seeds_played": "74234e98afe7498f"
        },
        "single": {
            "frame": "058b8af1a31630e9",
            "reset": "96bd098eb302a551",
            "step": "7ef4b73fb3d7cd24"
        }
    }
}


@pytest.mark.parametrize("face", list(FACES))
@pytest.mark.parametrize("name", list(load_scenarios()))
def test_trajectories_are_bit_identical_to_the_recorded_ones(name, face):
    assert FACES[face](name) == GOLDEN[name][face]


if __name__ == "__main__":  # regenerate the GOLDEN table
    table = {n: {f: fn(n) for f, fn in FACES.items()} for n in load_scenarios()}
    print("GOLDEN = " + json.dumps(table, indent=4))
