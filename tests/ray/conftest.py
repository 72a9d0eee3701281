"""Ray reads RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER once, on import: set it (loopback only) before
any test module of this folder imports ray."""

import tests.ray.cluster  # noqa: F401
