"""``--trainstate-verdict-budget SECONDS``: a verdict within a deadline, a share per submission.

A grader with many submissions, or a CI gate with a time limit, can ask for a
verdict within a wall-time budget.  The budget is split between the
implementations, so that no submission can spend another's time: a slow
one (a long import, calls just under the time limit) runs out of its own
share and is ``INCOMPLETE``, and the correct classmate beside it is judged in
full.  Each judging process keeps an account per implementation of the time
its properties took there (set-up, calls, teardown, the host's start
included), and gives each implementation, per process:

- with each implementation's properties grouped on one worker (more
  implementations than workers, :mod:`conformance.plugin.scheduling`):
  ``budget / ceil(implementations / workers)``, so that no worker runs over
  the budget however the implementations fall;
- otherwise (every worker runs some of every implementation's properties):
  ``budget / implementations``.

Within its share:

- a property's pinned examples (``@example``) and its corpus entries always
  run once the property has started, whatever the time: they are its minimum
  (a property without pins runs at least its first draw);
- its random draws run until the property's part of what is left is spent:
  the share left divided by the implementation's properties this process has
  still to run (so a property that finishes early leaves more to the next);
- a property that has not started when its implementation's share is spent is
  skipped, with the reason, and that implementation's verdict is
  ``INCOMPLETE`` (a TrainState property of a module without a TrainState still
  runs, to say at once that it does not apply).

So the verdict is ``CONFORMS`` only when every property ran at least its
pins (the report gives the examples each actually ran), and ``DOES NOT
CONFORM`` as soon as any example failed, within the budget or not.  An
implementation overruns its share by at most the pins of the property it is
in.  Start-up before the first property (collection, importing the suite) is
nobody's and not counted.  A failing example's shrinking is cut by the same
part: the reported input is then the smallest failing one found in time, and it
is always a real failure.  Hypothesis cannot be told to stop drawing, so the
draws after a property's part is spent are still made (a few milliseconds
each), but not run.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Generator

import pytest
from hypothesis.control import current_build_context
from hypothesis.errors import InvalidArgument

from conformance.plugin.scheduling import groups_by_implementation
from conformance.plugin.stash import impl_of

_SHARE = pytest.StashKey[float | None]()
"""config: seconds each implementation may spend in this process, or ``None``: no budget."""
_SPENT = pytest.StashKey[dict[str, float]]()
"""config: seconds each implementation's properties took in this process so far."""
_LEFT = pytest.StashKey[Counter[str]]()
"""config: each implementation's properties this process has still to start (at least 1)."""
_DRAWS_UNTIL = pytest.StashKey[float]()
"""item: until when (``time.monotonic()``) the property may run random draws."""


def pytest_configure(config: pytest.Config) -> None:
    budget = config.getoption("trainstate_verdict_budget")
    if budget is not None and budget <= 0:
        raise pytest.UsageError(f"--trainstate-verdict-budget must be > 0, got {budget:g}")
    config.stash[_SHARE] = None
    config.stash[_SPENT] = {}
    config.stash[_LEFT] = Counter()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    budget = config.getoption("trainstate_verdict_budget")
    if budget is None:
        return
    per_impl = Counter(impl.name for item in items if (impl := impl_of(item)) is not None)
    if not per_impl:
        return
    workers = int(getattr(config, "workerinput", {}).get("workercount", 1))
    grouped = workers > 1 and groups_by_implementation(config)
    if grouped:
        config.stash[_SHARE] = budget / math.ceil(len(per_impl) / workers)
    else:
        config.stash[_SHARE] = budget / len(per_impl)
    # Under xdist every worker collects every item; grouped, one worker runs all of an
    # implementation's properties, otherwise each runs about its part of them.
    config.stash[_LEFT] = Counter(
        {name: count if grouped else -(-count // workers) for name, count in per_impl.items()}
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None]:
    impl = impl_of(item)
    if impl is None or item.config.stash.get(_SHARE, None) is None:
        return (yield)
    started = time.monotonic()
    try:
        return (yield)
    finally:
        spent = item.config.stash[_SPENT]
        spent[impl.name] = spent.get(impl.name, 0.0) + time.monotonic() - started


def pytest_runtest_setup(item: pytest.Item) -> None:
    share = item.config.stash.get(_SHARE, None)
    impl = impl_of(item)
    if share is None or impl is None:
        return
    left = item.config.stash[_LEFT]
    remaining = max(1, left[impl.name])
    left[impl.name] = max(1, remaining - 1)
    spent = item.config.stash[_SPENT].get(impl.name, 0.0)
    if spent >= share and not _does_not_apply(item):
        budget = item.config.getoption("trainstate_verdict_budget")
        pytest.skip(
            f"{impl.name}'s share of the verdict budget ({share:g} s of {budget:g} s, "
            "--trainstate-verdict-budget) was spent before this property ran its pinned examples"
        )
    item.stash[_DRAWS_UNTIL] = time.monotonic() + max(0.0, share - spent) / remaining


def _does_not_apply(item: pytest.Item) -> bool:
    """A TrainState property of a module without a TrainState: it runs even after the share is
    spent, and says at once that it does not apply, which costs nothing and keeps the verdict
    whole."""
    impl = impl_of(item)
    return (
        impl is not None
        and item.get_closest_marker("trainstate_train_state") is not None
        and impl.capabilities().train_state is None
    )


def may_run(item: pytest.Item) -> bool:
    """Whether the example about to run is run: always a pin, a corpus entry or Hypothesis's
    final replay of a failure; a random draw only within the property's part of the share."""
    until = item.stash.get(_DRAWS_UNTIL, None)
    if until is None or time.monotonic() < until:
        return True
    try:
        # Hypothesis runs explicit examples and the final replay of a failure as "final".
        return current_build_context().is_final
    except InvalidArgument:
        return True  # a corpus entry, replayed outside Hypothesis
