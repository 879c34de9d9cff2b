"""Fixtures for the project's own tests."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

pytest_plugins = ["pytester"]


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def suite_cache_dir(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """One pytest cache directory for every suite run of this session, on every xdist worker."""
    base = tmp_path_factory.getbasetemp()
    # Each xdist worker has its own basetemp under the session's; share the session's.
    return (base if worker_id == "master" else base.parent) / "suite-pytest-cache"
