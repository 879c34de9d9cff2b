"""What the plugin does to the collected properties: run order, known deviations, time limits.

The order is fixed, so that every xdist worker collects the same list and
:mod:`conformance.scheduling` can hand out contiguous blocks of it.
"""

from __future__ import annotations

import gc
import warnings

import pytest

from conformance.items import DEVIATIONS, impl_of
from conformance.known_deviations import UnmatchedDeviationWarning, matches

TEST_TIMEOUT = 1800.0
"""pytest-timeout's limit for one property of one implementation, unless the user sets one.

The per-call limit (``--call-timeout``) catches a hang in Python code and fails
just that property; this is the backstop for a hang inside C code, where the
"thread" method ends the process (an xdist worker, which xdist reports and
replaces, so the run goes on).
"""


BASIC_PROPERTIES_FIRST = (
    "test_reference_agreement.py",
    "test_output_contract.py",
    "test_step_counter.py",
    "test_zero_learning_rate.py",
)
"""Modules run before the others, so that ``--impl-maxfail`` and ``-x`` stop on the most
basic broken promise, and a grader reads the contract's failures first."""

TRAIN_STATE_MODULE_PREFIX = "test_train_state_"

TRAIN_STATE_PROPERTIES_WITHOUT_UPDATES = (
    "test_create_starts_at_step_zero_and_keeps_its_inputs",
    "test_create_rejects_unknown_fields",
    "test_assigning_a_field_raises_attribute_error",
    "test_mismatched_grads_structure_raises",
    "test_positional_grads_raise_type_error",
    "test_positional_create_raises_type_error",
    "test_apply_fn_and_tx_are_static",
    "test_replace_returns_a_modified_copy",
)
"""TrainState properties that never complete an ``apply_gradients`` call.

They run JAX's eager ops for ``tx.init`` only, about a third of the programs
the update properties compile, so they come last: under work stealing
(:mod:`conformance.scheduling`) the tail of the order is what an idle worker
takes over, and a worker that has run the one-step properties can take these
without compiling every Optax update program a second time."""


def run_rank(nodeid: str) -> int:
    """Where a test comes in the run order: the basic one-step modules, the other one-step
    properties, the TrainState properties that apply updates, then the other TrainState
    properties (each group in a block)."""
    path, _, test = nodeid.partition("::")
    module = path.rsplit("/", 1)[-1]
    if module in BASIC_PROPERTIES_FIRST:
        return BASIC_PROPERTIES_FIRST.index(module)
    if not module.startswith(TRAIN_STATE_MODULE_PREFIX):
        return len(BASIC_PROPERTIES_FIRST)
    if test.partition("[")[0] in TRAIN_STATE_PROPERTIES_WITHOUT_UPDATES:
        return len(BASIC_PROPERTIES_FIRST) + 2
    return len(BASIC_PROPERTIES_FIRST) + 1


def _rank(item: pytest.Item) -> int:
    return run_rank(item.nodeid)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A stable sort by a fixed key keeps collection identical on every xdist worker.
    items.sort(key=_rank)
    _mark_known_deviations(config, items)
    _add_default_timeout(config, items)
    if any(impl_of(item) is not None for item in items):
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
    as_skips = config.getoption("known_failures_as_skips")
    for item in items:
        for kind, pattern in deviations:
            if matches(pattern.text, item.nodeid):
                pattern.matched = True
                reason = f"known deviation ({pattern.where()}: {pattern.text})"
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


def _add_default_timeout(config: pytest.Config, items: list[pytest.Item]) -> None:
    user_timeout = config.getoption("timeout", None) is not None or bool(
        config.getini("timeout") if "timeout" in config._parser._inidict else None
    )
    if user_timeout:
        return
    for item in items:
        if impl_of(item) is not None and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(TEST_TIMEOUT, method="thread"))
