"""Root conftest: makes the harness plugin active for experiments/ and tests/.

When the package is installed, pytest already loads the plugin through its entry point under this
same name, and this line is a no-op; it matters when running from a checkout without an install.
"""

pytest_plugins = ["harness.pytest_plugin", "pytester"]  # pytester: tests of the plugin
