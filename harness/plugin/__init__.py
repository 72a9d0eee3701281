"""The harness's pytest plugin, one module per job (registered as ``harness.pytest_plugin``,
which gathers them):

- :mod:`~harness.plugin.options`: the command-line options;
- :mod:`~harness.plugin.session`: configuration (one torch thread per process, the session's
  state in ``config.stash``), the preflight checks, the study files' order, store faults;
- :mod:`~harness.plugin.fixtures`: the session fixtures (spec, executor, store, pipeline) and the
  ``criteria`` fixture;
- :mod:`~harness.plugin.parametrize`: the study's tests parametrised from the spec and the
  pipeline's declarations;
- :mod:`~harness.plugin.results`: on the controller, the criteria and test outcomes the tests
  record, the live progress tail and the report at the end of the session.
"""
