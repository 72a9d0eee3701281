"""pytest plugin of the harness, registered by the ``pytest11`` entry point under the name
``harness.pytest_plugin`` (the module name, so that the root ``conftest.py`` naming it too does
not register it twice). It gathers the hooks and fixtures of :mod:`harness.plugin`, one module
per job; see there.

Under xdist, tests run in workers; each acceptance criterion a test records travels to the
controller in ``report.user_properties`` and the controller renders the report once, at the end
of the session, whether or not criteria failed.
"""

from harness.plugin.fixtures import (
    criteria,
    executor,
    pipeline,
    progress,
    store,
    study_spec,
)
from harness.plugin.options import pytest_addoption
from harness.plugin.parametrize import pytest_generate_tests
from harness.plugin.session import (
    pytest_collection_modifyitems,
    pytest_configure,
    pytest_configure_node,
    pytest_runtest_makereport,
)
from harness.plugin.state import ARTIFACT, CRITERION

__all__ = ["ARTIFACT", "CRITERION", "criteria", "executor", "pipeline", "progress",
           "pytest_addoption", "pytest_collection_modifyitems", "pytest_configure",
           "pytest_configure_node", "pytest_generate_tests", "pytest_runtest_makereport", "store",
           "study_spec"]
