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
- The xdist controller, when implementations are named and ``--trainstate-grading`` is
  not given, starts one host per implementation too, only to check that each
  imports and offers something to test: a failure stops the run with a
  one-line usage error before any property runs.  Its hosts then stop; the
  workers have their own.
- At the end of the session every host of the process stops, and whatever
  they left behind is killed.
"""

from __future__ import annotations

from collections.abc import Generator

import pytest

from conformance.isolation import process_tree
from conformance.isolation.failures import CallAborted
from conformance.isolation.implementations import Implementation
from conformance.isolation.service import first_line
from conformance.plugin.collection import runs_one_implementation_at_a_time
from conformance.plugin.stash import IMPLS, impl_of

_STARTED = pytest.StashKey[bool]()
_CURRENT = pytest.StashKey[Implementation]()


def _is_xdist_controller(config: pytest.Config) -> bool:
    return (
        not hasattr(config, "workerinput")
        and getattr(config.option, "dist", "no") != "no"
        and bool(getattr(config.option, "tx", None))
        and not config.getoption("collectonly")
    )


def _checks_at_start(config: pytest.Config) -> bool:
    from conformance.plugin.options import requested_specs

    return bool(requested_specs(config.option)) and not config.getoption("trainstate_grading")


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    from conformance.plugin import implementations, isolation, runs_the_suite

    if not runs_the_suite(config) or config.getoption("collectonly"):
        return
    if _is_xdist_controller(config) and not _checks_at_start(config):
        return
    if isolation(config).trusts_the_code:
        return
    process_tree.become_subreaper()
    config.stash[_STARTED] = True
    if _is_xdist_controller(config) or not runs_one_implementation_at_a_time(config):
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


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> Generator[None, object, object]:
    config = session.config
    if not hasattr(config, "workerinput") and _checks_at_start(config) and IMPLS in config.stash:
        _check_every_implementation_loads(config)
    return (yield)


def _check_every_implementation_loads(config: pytest.Config) -> None:
    impls = config.stash[IMPLS]
    try:
        for impl in impls:
            try:
                impl.connection.capabilities()
            except CallAborted as exc:
                raise pytest.UsageError(_one_line(impl.spec, exc)) from None
    finally:
        if _is_xdist_controller(config):
            for impl in impls:
                impl.connection.stop()


def _one_line(spec: str, exc: BaseException) -> str:
    text = first_line(exc)
    # "name: --trainstate-impl spec: why" from the host; the usage error starts at the flag.
    flag = "--trainstate-impl "
    return text[text.index(flag) :] if flag in text else f"{flag}{spec}: {text}"


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    for impl in config.stash.get(IMPLS, []):
        impl.connection.stop()
    if config.stash.get(_STARTED, False):
        process_tree.sweep_adopted(known=())
