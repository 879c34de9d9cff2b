"""The verdict "blocked": a property that could not judge, because a more basic call failed.

When ``create``, or ``apply_gradients`` with gradients that match, or
``one_step`` on a valid input, raises, every property that needs that call
cannot say anything about its own subject.  One property owns each such call
and fails on it (``create_starts_at_step_zero_and_keeps_its_inputs``,
``params_and_opt_state_follow_the_optax_loop``, ``output_is_a_finite_float_pair``,
``module_imports``); the others are blocked by it, with the failure named
(``cause``), so that one root cause is one failure.  A blocked property is
not a pass: the implementation does not conform.

A module of its own, free of JAX, like :mod:`conformance.properties.not_applicable`:
the report hooks tell this outcome apart without importing the checks.
"""

from __future__ import annotations

import pytest

__all__ = ["BLOCKED_PREFIX", "Blocked"]

BLOCKED_PREFIX = "blocked by: "


class Blocked(pytest.skip.Exception):  # type: ignore[misc, name-defined]
    """The property is blocked by the failure ``cause`` (a call and what it raised)."""

    def __init__(self, cause: str, where: str = "") -> None:
        super().__init__(f"{BLOCKED_PREFIX}{cause}{' ' + where if where else ''}")
        self.cause = cause
