"""Fixtures for the project's own tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests import meta_profile

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
    monkeypatch.setenv("PYTHONPATH", meta_profile.pythonpath(meta_profile_dir))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The two longest tests to the two ends of the run, so that each starts a worker's share.

    Each is one whole suite run in a subprocess (every correct implementation: a third of the
    session's work; every mutant: a tenth).  Under ``-n 2`` with work stealing (below) each
    worker gets one contiguous half of the items: one starts with the first, the other ends
    with the second, and the worker that is done first takes over what is left of the other's.
    """
    first = [item for item in items if "correct_results" in getattr(item, "fixturenames", ())]
    last = [item for item in items if "mutant_results" in getattr(item, "fixturenames", ())]
    middle = [item for item in items if item not in first and item not in last]
    items[:] = [*first, *middle, *last]


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """Work stealing instead of xdist's ``load`` for the project's tests: ``load`` deals the
    first quarter of the items out one by one and the rest as workers ask, so the two longest
    could queue behind each other on one worker while the other ran out of work (543 s, of
    which about 60 s one worker idle, measured)."""
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import WorkStealingScheduling

    return WorkStealingScheduling(config, log)
