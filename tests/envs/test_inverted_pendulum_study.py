"""The whole study on Gymnasium's MuJoCo InvertedPendulum-v5, on its ``ci`` profile
(tests/envs/study.py)."""

import pytest

from tests.envs.study import run_env_study

pytestmark = pytest.mark.envs


def test_the_whole_study_runs_on_inverted_pendulum():
    run_env_study("inverted_pendulum")
