"""The processes that host the implementations: started early, checked, stopped at the end.

- Every process that judges (an xdist worker, or the only process) becomes a
  child subreaper (see :mod:`conformance.isolation.process_tree`).  When it
  runs every implementation's properties interleaved (the default run: one
  implementation, work stealing), it starts all its hosts as soon as it is
  configured, so that their imports overlap with collection.  When it runs
  them one implementation at a time
  (:func:`conformance.plugin.collection.runs_one_implementation_at_a_time`), each
  host starts with its implementation's first property and stops when the
  next implementation's begin: one host at a time.
- The xdist controller starts no host: a module that cannot be imported is
  a verdict (``conformance/test_module.py``), never a stop of the run.
- At the end of the session every host of the process stops, and whatever
  they left behind is killed.
"""

from __future__ import annotations

import pytest

from conformance.isolation import process_tree
from conformance.isolation.implementations import Implementation
from conformance.plugin.collection import runs_one_implementation_at_a_time
from conformance.plugin.scheduling import is_xdist_controller
from conformance.plugin.stash import IMPLS, impl_of

_STARTED = pytest.StashKey[bool]()
_CURRENT = pytest.StashKey[Implementation]()


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    from conformance.plugin import implementations, isolation, runs_the_suite

    if not runs_the_suite(config) or config.getoption("collectonly"):
        return
    if is_xdist_controller(config):
        return
    if isolation(config).trusts_the_code:
        return
    process_tree.become_subreaper()
    config.stash[_STARTED] = True
    if not runs_one_implementation_at_a_time(config):
        for impl in implementations(config):
            impl.connection.start()


def pytest_runtest_setup(item: pytest.Item) -> None:
    impl = impl_of(item)
    config = item.config
    if impl is None or not runs_one_implementation_at_a_time(config):
        return
    previous = config.stash.get(_CURRENT, None)
    if previous is not None and previous is not impl:
        previous.connection.stop()
    config.stash[_CURRENT] = impl


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    for impl in config.stash.get(IMPLS, []):
        impl.connection.stop()
    if config.stash.get(_STARTED, False):
        process_tree.sweep_adopted(known=())
