"""What a collected property tests, and the per-process state the plugin's modules share.

Every conformance test is parametrized over ``impl``: :func:`impl_of` finds
the implementation of an item (``None`` for any other test in the session),
:func:`property_name` names its property as the verdicts do.  The state lives
in pytest's stashes, on the config or on the item, never in module globals,
so that two sessions in one process (pytester) do not share it.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance.isolation.implementations import Implementation
from conformance.isolation.launcher import Isolation
from conformance.reporting.known_deviations import Pattern
from conformance.reporting.repro import property_name as named
from conformance.reporting.verdicts import ExampleCount

IMPLS = pytest.StashKey[list[Implementation]]()
"""config: the implementations under test, with their connections in this process."""
ISOLATION = pytest.StashKey[Isolation]()
"""config: how the implementations run in this session."""
DEVIATIONS = pytest.StashKey[list[tuple[str, Pattern]]]()
"""config: the patterns of ``--xfails-file`` ("xfail") and ``--skips-file`` ("skip")."""
CORPUS = pytest.StashKey[list[dict[str, Any]]]()
"""config: the entries of ``--corpus``."""
FAILURES = pytest.StashKey[dict[str, int]]()
"""config: failed properties per implementation name, for ``--impl-maxfail``."""
COUNT = pytest.StashKey[ExampleCount]()
"""item: how many examples the property ran, and at which the first failure came."""


def impl_of(item: pytest.Item) -> Implementation | None:
    callspec = getattr(item, "callspec", None)
    impl = callspec.params.get("impl") if callspec is not None else None
    return impl if isinstance(impl, Implementation) else None


def property_name(item: pytest.Item) -> str:
    return named(getattr(item, "originalname", item.name))
