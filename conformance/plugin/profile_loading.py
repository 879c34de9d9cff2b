"""Registering the suite's Hypothesis profiles before Hypothesis loads the one named.

``--hypothesis-profile NAME`` is loaded by Hypothesis's own ``pytest_configure``;
when NAME is one of the suite's (``trainstate-dev``, ``trainstate-ci``,
``trainstate-thorough``) they must be registered by then.
This hook runs first for that reason alone: the plugin's other configuration
must run after pytest's cache provider, which the JAX cache directory needs.
Without such a name nothing is imported, so a session of another project does
not pay for importing Hypothesis here.
"""

from __future__ import annotations

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    if str(config.getoption("hypothesis_profile", None)).startswith("trainstate-"):
        from conformance.properties import profiles  # noqa: F401  (registers on import)
