"""``--trainstate-verdict-budget SECONDS``: a verdict within a deadline.

A grader with many submissions, or a CI gate with a time limit, can ask for a
verdict within a wall-time budget.  The deadline is the controller's start
plus the budget, the same for every xdist worker.  It is spent like this:

- a property's pinned examples (``@example``) and its corpus entries always
  run once the property has started, whatever the time: they are its minimum
  (a property without pins runs at least its first draw);
- its random draws run until the property's share of what is left is spent:
  the time to the deadline divided by the properties this process has still
  to run (so a property that finishes early leaves more to the next);
- a property that has not started by the deadline is skipped, with the
  reason, and the implementation's verdict is ``INCOMPLETE`` (a TrainState
  property of a module without a TrainState still runs, to say at once that
  it does not apply).

So the verdict is ``CONFORMS`` only when every property ran at least its
pins (the report gives the examples each actually ran), and ``DOES NOT
CONFORM`` as soon as any example failed, within the budget or not.  A failing
example's shrinking is cut by the same share: the reported input is then the
smallest failing one found in time, and it is always a real failure.
Hypothesis cannot be told to stop drawing, so the draws after a property's
share is spent are still made (a few milliseconds each), but not run.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis.control import current_build_context
from hypothesis.errors import InvalidArgument

from conformance.plugin.stash import impl_of

_DEADLINE = pytest.StashKey[float | None]()
"""config: the wall-clock time (``time.time()``) the budget runs out, or ``None``."""
_LEFT = pytest.StashKey[int]()
"""config: the suite's properties this process has still to start."""
_DRAWS_UNTIL = pytest.StashKey[float]()
"""item: until when the property may run random draws."""
DEADLINE_KEY = "trainstate_deadline"


def pytest_configure(config: pytest.Config) -> None:
    budget = config.getoption("trainstate_verdict_budget")
    if budget is None:
        config.stash[_DEADLINE] = None
        return
    if budget <= 0:
        raise pytest.UsageError(f"--trainstate-verdict-budget must be > 0, got {budget:g}")
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and DEADLINE_KEY in workerinput:
        config.stash[_DEADLINE] = float(workerinput[DEADLINE_KEY])
    else:
        config.stash[_DEADLINE] = time.time() + budget


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    deadline = node.config.stash.get(_DEADLINE, None)
    if deadline is not None:
        node.workerinput[DEADLINE_KEY] = deadline


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    suite = sum(impl_of(item) is not None for item in items)
    workers = int(getattr(config, "workerinput", {}).get("workercount", 1))
    # Under xdist every worker collects every item and runs about its share of them.
    config.stash[_LEFT] = max(1, -(-suite // workers))


def pytest_runtest_setup(item: pytest.Item) -> None:
    deadline = item.config.stash.get(_DEADLINE, None)
    if deadline is None or impl_of(item) is None:
        return
    now = time.time()
    left = item.config.stash.get(_LEFT, 1)
    item.config.stash[_LEFT] = max(1, left - 1)
    if now >= deadline and not _does_not_apply(item):
        budget = item.config.getoption("trainstate_verdict_budget")
        pytest.skip(
            f"the verdict budget ({budget:g} s, --trainstate-verdict-budget) was spent before "
            "this property ran its pinned examples"
        )
    item.stash[_DRAWS_UNTIL] = now + (deadline - now) / left


def _does_not_apply(item: pytest.Item) -> bool:
    """A TrainState property of a module without a TrainState: it runs even after the deadline,
    and says at once that it does not apply, which costs nothing and keeps the verdict whole."""
    impl = impl_of(item)
    return (
        impl is not None
        and item.get_closest_marker("trainstate_train_state") is not None
        and impl.capabilities().train_state is None
    )


def may_run(item: pytest.Item) -> bool:
    """Whether the example about to run is run: always a pin, a corpus entry or Hypothesis's
    final replay of a failure; a random draw only within the property's share."""
    until = item.stash.get(_DRAWS_UNTIL, None)
    if until is None or time.time() < until:
        return True
    try:
        # Hypothesis runs explicit examples and the final replay of a failure as "final".
        return current_build_context().is_final
    except InvalidArgument:
        return True  # a corpus entry, replayed outside Hypothesis
