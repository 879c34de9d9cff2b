"""Fixtures for the project's own tests."""

from __future__ import annotations

import os
import shutil
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


@pytest.fixture(scope="session")
def meta_profile_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding a copy of ``tests/meta_profile.py``, importable as ``meta_profile``."""
    where = tmp_path_factory.mktemp("meta-profile")
    shutil.copy(REPO / "tests" / "meta_profile.py", where / "meta_profile.py")
    return where


@pytest.fixture
def quick_profile(monkeypatch: pytest.MonkeyPatch, meta_profile_dir: Path) -> None:
    """Let suite runs in subprocesses select ``meta_profile.QUICK_ARGS``.

    For the tests of the plugin's machinery.  The subprocess finds the profile's module on
    ``PYTHONPATH``, so nothing is added to the directory the run is judged from.
    """
    path = os.pathsep.join(filter(None, [str(meta_profile_dir), os.environ.get("PYTHONPATH")]))
    monkeypatch.setenv("PYTHONPATH", path)
