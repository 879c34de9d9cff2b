"""Checks on what a TrainState scenario observed, shared by the TrainState properties.

Each fails with ``"<implementation>: <what went wrong> [<context>]"``; the
property says what went wrong in its own words and these say how to find it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from conformance.isolation.descriptions import PYTREE_FIELDS
from conformance.properties.observing import Context, exception_text, raised_a, tree
from conformance.properties.tree_comparison import bitwise_difference


def check_raised(
    ctx: Context, outcome: dict[str, Any], expected: str, call: str, rule: str
) -> None:
    """``call`` raised ``expected`` (a built-in exception class, or a subclass of it).

    ``outcome`` is what the scenario's attempt saw: ``{"raised": ...}`` or
    ``{"returned": ...}``; ``rule`` is the promise of Flax's that says why.
    """
    if "returned" in outcome:
        raise AssertionError(
            f"{ctx.name}: {call} returned {outcome['returned']}, expected {expected}: {rule} {ctx}"
        )
    if not raised_a(outcome["raised"], expected):
        raise AssertionError(
            f"{ctx.name}: {call} raised {exception_text(outcome['raised'])}, expected "
            f"{expected}: {rule} {ctx}"
        )


def check_each(ctx: Context, flags: Mapping[str, object], failure: Callable[[str], str]) -> None:
    """Every flag holds; the first that does not fails with ``failure(name)``."""
    for name, holds in flags.items():
        assert holds, f"{ctx.name}: {failure(name)} {ctx}"


def check_unchanged(
    ctx: Context,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    failure: Callable[[str, str], str],
) -> None:
    """The pytree fields (step, params, opt_state) of ``after`` are bit for bit those of
    ``before``; the first that differs fails with ``failure(name, difference)``."""
    for name in PYTREE_FIELDS:
        diff = bitwise_difference(tree(after[name]), tree(before[name]))
        assert diff is None, f"{ctx.name}: {failure(name, diff)} {ctx}"
