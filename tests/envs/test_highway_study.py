"""The whole study on highway-env's highway-fast-v0, a package that requires Gymnasium >= 1.0,
on its ``ci`` profile (tests/envs/study.py)."""

import pytest

from tests.envs.study import run_env_study

pytestmark = pytest.mark.envs


def test_the_whole_study_runs_on_highway():
    run_env_study("highway")
