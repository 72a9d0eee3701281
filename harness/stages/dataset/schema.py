"""The expert-trajectory dataset format: Minari's HDF5 layout plus mandatory provenance metadata.

Folder of a dataset artefact::

    data/main_data.hdf5     episode_<i> groups (Minari layout), see below
    data/metadata.json      Minari metadata (spaces, totals, dataset_id) + ours (MANDATORY_KEYS)
    validation.json         the validation report that let it be published

Per episode group ``episode_<i>`` (attributes ``id``, ``seed``, ``total_steps``, ``scenario``,
``start_goal_distance``, ``pedestrians``, ``obstacles``, ``outcome``, ``return``):

    observations  (T+1, obs_dim) float32   observations[0] is the reset observation;
                                           actions[t] was taken on observations[t]
    actions       (T, 2) float32
    rewards       (T,) float64
    terminations  (T,) bool                 True only at the last step, on success/collision
    truncations   (T,) bool                 True only at the last step, on time-out
    infos/<key>   (T+1,)                    reset info first, then one per step
"""

from __future__ import annotations

from harness.nav.outcomes import FINAL_OUTCOMES

SCHEMA_VERSION = 1
DATA_DIR = "data"
DATA_FILE = "main_data.hdf5"
METADATA_FILE = "metadata.json"

INFO_KEYS = ("is_success", "is_collision", "is_timeout", "min_clearance", "path_length",
             "goal_distance")
DECLARED_INFO_KEYS = ("is_success", "is_collision", "is_timeout")
"""What a declared (non built-in) environment's dataset records per step: the outcome flags of
its declared rule (harness.envs.outcome); its descriptors are episode attributes."""
OUTCOMES = FINAL_OUTCOMES  # an episode's outcome attribute: one of the simulator's names

MANDATORY_KEYS = {
    "dataset_id": "versioned id of the dataset",
    "schema_version": "version of this layout",
    "created": "creation timestamp (UTC, ISO 8601)",
    "expert": "provenance: policy artefact id and its manifest sha256",
    "seeds": "episode seeds, in episode order",
    "git": "commit and dirty flag of the recording code",
    "observation_contract": "observation layout: rays, fields, space bounds",
    "action_contract": "action layout and bounds",
    "env_config": "full configuration of every recorded scenario",
    "coverage": "episodes per scenario, start-goal and pedestrian-count distributions, outcomes",
    "deterministic_actions": "whether the expert acted deterministically",
    "total_episodes": "number of episodes",
    "total_steps": "number of transitions",
    "data_sha256": "sha256 of data/main_data.hdf5",
}


def generic_layout(meta: dict) -> bool:
    """Whether a dataset is in the generic layout: its metadata lists its per-step ``info_keys``
    and its contracts describe its spaces as they are (Box or Discrete, any dtype), its episode
    attributes are its declared descriptors. Otherwise it is in the built-in simulator's fixed
    layout (float32 observations, (T, 2) actions in [-1, 1], :data:`INFO_KEYS`, layout
    attributes). A property of the file, read from the file: validation and analytics must
    work on a dataset whose environment is not at hand."""
    return "info_keys" in meta
