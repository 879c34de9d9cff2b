"""Counting the examples a property runs, and replaying and recording the corpus around them.

Hypothesis calls a test's ``inner_test`` once per example and lets a plugin
replace it.  Wrapping it counts the examples (for the verdict: how many ran,
at which the first failure came), replays the corpus's saved inputs before
Hypothesis draws, and keeps the last failing input, which is the minimal one:
Hypothesis runs it last to report it.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections import Counter
from collections.abc import Generator
from pathlib import Path

import pytest

from conformance.plugin import budget
from conformance.plugin.stash import CORPUS, COUNT, impl_of, property_name
from conformance.properties.blocked import Blocked, example_was_judged
from conformance.reporting.verdicts import ExampleCount

_LAST_FAILURE = pytest.StashKey[dict[str, object]]()

BLOCKED_EXAMPLES_BEFORE_STOPPING = 2
"""Examples blocked, none judged, before a property stops as blocked: a prerequisite call that
fails on its first two inputs, pins first, fails on the rest too (``create`` of another
API); one that fails on some inputs (a scalar param, the smallest tree and so the first pin)
lets the property judge the others."""


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    handle = getattr(getattr(item, "obj", None), "hypothesis", None)
    impl = impl_of(item)
    if handle is None or impl is None:
        return (yield)
    from hypothesis.errors import FailedHealthCheck, StopTest, Unsatisfiable, UnsatisfiedAssumption

    count = item.stash[COUNT] = ExampleCount()
    inner = handle.inner_test
    calls_before = Counter(impl.calls)
    judged = blocked = 0
    # The first only: an exception keeps its traceback's frames, and their inputs, alive.
    first_block: Blocked | None = None

    @functools.wraps(inner)
    def counted(*args: object, **kwargs: object) -> object:
        nonlocal judged, blocked, first_block
        # A property runs at least one example, whatever the budget: its first pin, or its
        # first draw when it has none. Passing on no example at all would be a verdict on nothing.
        if count.examples and not budget.may_run(item):
            count.not_run += 1
            return None
        count.examples += 1
        example_was_judged()
        try:
            result = inner(*args, **kwargs)
            judged += example_was_judged()
            return result
        except Blocked as exc:
            if not exc.per_example:
                raise
            # A call this example needs failed on its inputs: the property goes on with
            # inputs it can judge (Hypothesis rejects this one), unless none has been judged
            # after a few such examples, which is a call that fails on every input.
            blocked += 1
            first_block = first_block or exc
            if not judged and blocked >= BLOCKED_EXAMPLES_BEFORE_STOPPING:
                raise first_block from None
            raise UnsatisfiedAssumption() from None
        except (UnsatisfiedAssumption, StopTest, pytest.skip.Exception):
            # Hypothesis's own control flow (a rejected example; a draw inside the test that
            # ran out of data), or a property that does not apply: no failure of the
            # implementation, and nothing for the corpus.
            raise
        except BaseException:
            judged += 1
            if count.first_failure_at is None:
                count.first_failure_at = count.examples
            item.stash[_LAST_FAILURE] = kwargs
            raise

    handle.inner_test = counted
    try:
        _replay_corpus(item, counted)
        try:
            outcome = yield
        except (Unsatisfiable, FailedHealthCheck):
            # Every example Hypothesis could find was rejected as blocked.
            if first_block is not None and not judged:
                raise first_block from None
            raise
        if first_block is not None and not judged:
            raise first_block
        return outcome
    finally:
        handle.inner_test = inner
        count.calls = dict(impl.calls - calls_before)
        _record_failure(item)


def _replay_corpus(item: pytest.Item, test: object) -> None:
    """Call the property on each saved failing input of this implementation, before Hypothesis."""
    from hypothesis.errors import UnsatisfiedAssumption

    from conformance.reporting import corpus

    impl = impl_of(item)
    for entry in item.config.stash.get(CORPUS, []):
        if impl is None or (entry["implementation"], entry["property"]) != (
            impl.name,
            property_name(item),
        ):
            continue
        drawn = set(inspect.signature(test).parameters) - {"impl"}  # type: ignore[arg-type]
        if set(entry["inputs"]) != drawn:
            # A record from another version of the property (or edited by hand) cannot be
            # replayed; calling the property with it would fail the implementation for a
            # TypeError of the suite's own making.
            item.warn(
                pytest.PytestWarning(
                    f"--trainstate-corpus: not replayed: a record of {entry['property']} for "
                    f"{impl.name} gives the inputs {', '.join(sorted(entry['inputs']))}, "
                    f"but the property draws {', '.join(sorted(drawn))}"
                )
            )
            continue
        with contextlib.suppress(UnsatisfiedAssumption):  # blocked on these inputs
            test(impl=impl, **corpus.inputs_of(entry))  # type: ignore[operator]


def _record_failure(item: pytest.Item) -> None:
    path = item.config.getoption("trainstate_corpus")
    failure = item.stash.get(_LAST_FAILURE, None)
    impl = impl_of(item)
    if path is None or failure is None or impl is None:
        return
    from conformance.reporting import corpus

    inputs = {name: value for name, value in failure.items() if name != "impl"}
    try:
        line = corpus.record(impl.name, property_name(item), inputs)
    except corpus.NotRecordable:
        return
    corpus.append(Path(path), line)
