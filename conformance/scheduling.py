"""xdist scheduling: work stealing, unless the user chooses a ``--dist`` mode.

The properties are collected in one fixed order (:func:`conformance.collection.run_rank`):
the one-step properties first, then the TrainState properties that apply
updates, then the TrainState properties that only create states.  xdist's
default ``load`` scheduler deals that order out to the workers in turns, so
every worker meets both families and each compiles what they need: the
reference's step for every ``(N, D)`` of the shape pool (~45 ms each on this
machine, ~70 programs) and JAX's eager ops for the Optax updates of every
leaf shape (~20 ms each, ~200 small programs).  ``worksteal`` gives each
worker one contiguous block of the order instead, so a worker mostly stays
within one family and reuses what it compiled, and an idle worker takes over
the end of a busy one's block, which keeps the run balanced.  Ending the order
with the properties that compile least means that what is taken over costs
the idle worker few new programs.  On 2 cores the default run against the
reference dropped from about 8.5 s to 7.7 s with work stealing (on a faster
machine), and from a median of 23.7 s to 20.9 s with the create-only
properties last (six alternating ``pytest -n auto`` runs each, on this one).

An explicit ``--dist`` (or ``-d``) is respected.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

_DIST_CHOSEN = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_cmdline_main(config: pytest.Config) -> Generator[None, Any, Any]:
    # A wrapper runs before xdist's own pytest_cmdline_main, which turns "no --dist"
    # into "load" as soon as -n is given; afterwards the two cannot be told apart.
    option = config.option
    config.stash[_DIST_CHOSEN] = getattr(option, "dist", "no") != "no" or bool(
        getattr(option, "distload", False)
    )
    return (yield)


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.stash.get(_DIST_CHOSEN, True) or config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import WorkStealingScheduling

    return WorkStealingScheduling(config, log)
