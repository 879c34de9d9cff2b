"""The pytest entry point of trainstate-conformance: its options, and its plugin when it is at home.

Installed, this module loads in every pytest session of the environment (the
``pytest11`` entry point ``trainstate``), so it is named for nothing else a
project could have.  It registers the suite's options, then loads the plugin
(:mod:`conformance.plugin`) only if ``import conformance`` gives the suite's
own package, the one beside this file: a project with a package of that name
first on ``sys.path`` keeps it.  There the session goes on as if the suite
were not installed, unless it asks for the suite (``--trainstate-impl``,
``$TRAINSTATE_IMPL``), which stops it with one line that names both paths.

The suite's other directories, ``strategies/`` and ``reference/``, install as
``conformance.strategies`` and ``conformance.reference``: no other top-level
name is taken.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

SUITE = Path(__file__).resolve().parent / "conformance"


def _options() -> ModuleType:
    """:mod:`conformance.plugin.options`, loaded from its file: it must work even when hidden."""
    spec = importlib.util.spec_from_file_location(
        "_trainstate_options", SUITE / "plugin" / "options.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


OPTIONS = _options()


def _conformance_found() -> Path | None:
    """Where ``import conformance`` leads (without importing it when it is not loaded yet)."""
    loaded = sys.modules.get("conformance")
    origin = getattr(loaded, "__file__", None)
    if origin is None:
        try:
            spec = importlib.util.find_spec("conformance")
        except (ImportError, ValueError):
            return None
        origin = None if spec is None else spec.origin
    return None if origin is None else Path(origin).resolve().parent


FOUND = _conformance_found()
AT_HOME = FOUND == SUITE


def pytest_addoption(parser: Any) -> None:
    OPTIONS.add_options(parser)


if AT_HOME:
    pytest_plugins = ["conformance.plugin"]
else:

    def pytest_configure(config: Any) -> None:
        if OPTIONS.requested_specs(config.option):
            import pytest

            raise pytest.UsageError(
                f"the name 'conformance' is taken by {FOUND}, which hides the suite's own "
                f"package {SUITE}: run from a directory where it is not on sys.path, or use "
                "the command trainstate-conformance"
            )
