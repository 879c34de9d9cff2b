"""Root conftest of a checkout: say so when the suite is not installed.

The suite's plugin registers through its ``pytest11`` entry point
(``pytest_trainstate``), and ``strategies/`` and ``reference/`` import as
``conformance.strategies`` and ``conformance.reference`` only once the
checkout is installed. This conftest defines no ``pytest_plugins``: it is
also loaded, as a conftest below the rootdir, when the suite runs from another
directory, where pytest does not allow that.
"""

import sys
from pathlib import Path

import pytest

# pytest's default import mode put this directory first on sys.path to import this file. The
# suite imports nothing by a top-level name from here, and when it runs from a user's project
# the checkout's strategies/ and reference/ would shadow the user's packages of those names.
if sys.path and sys.path[0] == str(Path(__file__).parent):
    del sys.path[0]


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.hasplugin("pytest_trainstate"):
        raise pytest.UsageError(
            "the suite is not installed in this Python: run python -m pip install -e '.[dev]'"
        )
