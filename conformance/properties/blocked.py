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

__all__ = ["BLOCKED_PREFIX", "Blocked", "not_judged"]

BLOCKED_PREFIX = "blocked by: "


class Blocked(pytest.skip.Exception):  # type: ignore[misc, name-defined]
    """The property is blocked by the failure ``cause`` (a call and what it raised).

    ``per_example``: only this example cannot be judged (a call it needs failed on its
    inputs), so the property goes on with its other examples, and is blocked only if none
    of them can be judged either (:mod:`conformance.plugin.counting`).  Otherwise the
    example's failure is another property's, and the property stops, blocked: it does not
    pass on other inputs what it failed on this one.
    """

    def __init__(self, cause: str, where: str = "", *, per_example: bool = False) -> None:
        super().__init__(f"{BLOCKED_PREFIX}{cause}{' ' + where if where else ''}")
        self.cause = cause
        self.per_example = per_example


class _Example:
    judged = True


def not_judged(why: str) -> None:
    """The running example checks nothing (``why``, also a Hypothesis event): it stays a valid
    example, but is no evidence that the property holds, so a property whose other examples
    were all blocked is blocked, not passed (:mod:`conformance.plugin.counting`)."""
    from hypothesis import event

    event(why)
    _Example.judged = False


def example_was_judged() -> bool:
    """Whether the example just run checked something; resets for the next one."""
    judged, _Example.judged = _Example.judged, True
    return judged
