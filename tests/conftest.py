"""Fixtures for the project's own tests."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

pytest_plugins = ["pytester"]


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "xdist_group(name): run these tests on one xdist worker (they share a run)"
    )
    # The meta tests share one expensive run of the suite per module through a
    # module-scoped fixture; grouping keeps that run on a single worker.
    if getattr(config.option, "dist", "no") == "load":
        config.option.dist = "loadgroup"
