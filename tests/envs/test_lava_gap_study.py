"""The whole study on MiniGrid's LavaGap, on its ``ci`` profile (tests/envs/study.py)."""

import pytest

from tests.envs.study import run_env_study

pytestmark = pytest.mark.envs


def test_the_whole_study_runs_on_lava_gap():
    run_env_study("lava_gap")
