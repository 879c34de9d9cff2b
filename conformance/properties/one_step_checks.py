"""Checks of what ``one_step`` returned, for the suite's properties and for your own tests.

The one-step properties make these assertions on what an implementation's
process sent back; :func:`check_output` makes them all on an output in your
own process, so that a test of your project can hold its ``one_step`` to the
contract on the problems :func:`conformance.strategies.problems` draws::

    from hypothesis import given
    from conformance.properties.one_step_checks import check_output
    from conformance.strategies import problems

    @given(problem=problems())
    def test_my_step(problem):
        check_output(my_one_step(problem.seed, problem.x, problem.y, problem.lr), problem)

Every failure is an ``AssertionError`` whose message says what came back,
what the canonical step gives, and the input (``[seed=..., N=..., D=...,
lr=...]``).
"""

from __future__ import annotations

import numpy as np

from conformance.isolation.service import describe_output
from conformance.properties.calling import Returned
from conformance.properties.expected import Expected, expected
from conformance.strategies.problems import Problem

__all__ = [
    "Expected",
    "check_loss_after",
    "check_output",
    "check_output_contract",
    "check_step_after",
    "expected",
]


def check_output_contract(out: Returned, problem: Problem, *, name: str = "one_step") -> None:
    """A NumPy or JAX array of shape ``(2,)``, of a real floating dtype, finite, with a loss
    that is not negative."""
    where = f"{name} returned {out.describe()}"
    assert out.is_ndarray or out.is_jax, (
        f"{where}, but the contract asks for a NumPy or JAX array {problem.label()}"
    )
    assert out.shape == (2,), (
        f"{where}, but the contract asks for a 1-D array of shape (2,): "
        f"[step_after, loss_after] {problem.label()}"
    )
    assert out.dtype_kind == "f", (
        f"{where}, but the contract asks for a real floating dtype {problem.label()}"
    )
    assert out.values is not None and bool(np.all(np.isfinite(out.values))), (
        f"{name} returned {out.shown()}, which is not finite; the canonical step gives finite "
        f"values for every tested input {problem.label()}"
    )
    # A mean of squares is never negative, in float32 as in exact arithmetic: a negative
    # loss comes from another formula (an expanded square that cancels, say).
    assert out.values.shape != (2,) or out.values[1] >= 0.0, (
        f"{name} returned {out.shown()}, a negative loss_after; a mean squared error is never "
        f"below 0 {problem.label()}"
    )


def check_step_after(step: float, problem: Problem) -> None:
    """``step_after`` is exactly 1."""
    assert step == 1.0, (
        f"step_after={step!r}, but one apply_gradients call from TrainState.create (step 0) "
        f"gives exactly 1 {problem.label()}"
    )


def check_loss_after(loss: float, problem: Problem) -> None:
    """``loss_after`` is within the float32 rounding bound of the exact value."""
    want = expected(problem)
    error = abs(loss - want.loss_after)
    tolerance = want.loss_after_tolerance
    assert error <= tolerance, (
        f"loss_after={loss!r}, but the canonical step gives {want.loss_after!r} "
        f"(exact, float64; |difference| {error:.3g} > tolerance {tolerance:.3g}, the float32 "
        f"rounding bound) {problem.label()}"
    )


def check_output(output: object, problem: Problem, *, name: str = "one_step") -> None:
    """What ``one_step`` returned for ``problem`` is the canonical ``[1, loss_after]``."""
    out = Returned.from_answer(describe_output(output))
    check_output_contract(out, problem, name=name)
    assert out.values is not None
    check_step_after(float(out.values[0]), problem)
    check_loss_after(float(out.values[1]), problem)
