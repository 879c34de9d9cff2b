"""What the plugin does to the collected properties: run order, known deviations.

The order is fixed, so that every xdist worker collects the same list and
:mod:`conformance.plugin.scheduling` can hand out contiguous blocks of it.
"""

from __future__ import annotations

import gc
import warnings
from collections.abc import Iterable

import pytest

from conformance.plugin import named_implementations
from conformance.plugin.stash import DEVIATIONS, impl_of
from conformance.reporting import known_deviations
from conformance.reporting.known_deviations import UnmatchedDeviationWarning, matches


def run_rank(markers: Iterable[str]) -> int:
    """Where a property with these marker names comes in the run order (0 first).

    The order goes by the markers a property carries (:mod:`conformance.properties.skeleton`):

    0. the basic promises (``trainstate_basic``), so that ``--trainstate-maxfail``
       and ``-x`` stop on the most basic broken promise, and a grader reads the
       contract's failures first;
    1. the other one-step properties;
    2. the TrainState properties that apply updates;
    3. the TrainState properties that never complete an update
       (``trainstate_no_updates``).  They run JAX's eager ops for ``tx.init`` only,
       about a third of the programs the update properties compile, so they come
       last: under work stealing (:mod:`conformance.plugin.scheduling`) the tail of the
       order is what an idle worker takes over, and a worker that has run the
       one-step properties can take these without compiling every Optax update
       program a second time.
    """
    names = set(markers)
    if "trainstate_basic" in names:
        return 0
    if "trainstate_train_state" not in names:
        return 1
    return 3 if "trainstate_no_updates" in names else 2


def marker_names(item: pytest.Item) -> list[str]:
    """The suite's markers on ``item`` (``trainstate_...``), sorted."""
    return sorted({m.name for m in item.iter_markers() if m.name.startswith("trainstate_")})


def runs_one_implementation_at_a_time(config: pytest.Config) -> bool:
    """Whether this process runs each implementation's properties in one block.

    So it does when xdist sends every implementation to one worker
    (:func:`conformance.plugin.scheduling.groups_by_implementation`), and without
    xdist when there are several: then each implementation's process is
    started for its block and stopped after it, one at a time.
    """
    from conformance.plugin.scheduling import groups_by_implementation

    if hasattr(config, "workerinput"):
        return groups_by_implementation(config)
    return getattr(config.option, "dist", "no") == "no" and len(named_implementations(config)) > 1


def _rank(item: pytest.Item) -> int:
    return run_rank(marker_names(item))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    suite = [item for item in items if impl_of(item) is not None]
    if not suite:
        return
    # A stable sort by a fixed key keeps collection identical on every xdist worker. A
    # project's own tests, when the session has some, keep their order, after the suite's.
    suite.sort(key=_rank)
    if runs_one_implementation_at_a_time(config):
        order = {name: i for i, (name, _) in enumerate(named_implementations(config))}
        suite.sort(key=lambda item: order.get(getattr(impl_of(item), "name", ""), -1))
    items[:] = suite + [item for item in items if impl_of(item) is None]
    _mark_known_deviations(config, suite)
    _freeze_imported_objects()


def _freeze_imported_objects() -> None:
    """Exempt everything alive after collection from the cyclic garbage collector.

    JAX, Flax, Optax and Hypothesis leave several hundred thousand long-lived
    objects that every full collection scans again, during the run and five
    times more at exit (pytest's unraisable-exception hook): about 1 s per
    process.  They live until exit anyway; objects the properties create are
    still collected as usual.
    """
    gc.freeze()


def _mark_known_deviations(config: pytest.Config, items: list[pytest.Item]) -> None:
    deviations = config.stash.get(DEVIATIONS, [])
    as_skips = config.getoption("trainstate_known_failures_as_skips")
    for item in items:
        for kind, pattern in deviations:
            if matches(pattern.text, item.nodeid):
                pattern.matched = True
                reason = known_deviations.reason(pattern)
                if kind == "skip" or as_skips:
                    item.add_marker(pytest.mark.skip(reason=reason))
                else:
                    item.add_marker(pytest.mark.xfail(reason=reason, strict=False))
                break
    for _, pattern in deviations:
        if not pattern.matched:
            warnings.warn(
                UnmatchedDeviationWarning(
                    f"{pattern.where()}: {pattern.text!r} matches no collected test"
                ),
                stacklevel=1,
            )
