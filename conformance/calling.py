"""Calling an implementation and reading what it returns.

Every property calls the implementation through :func:`call`, so an
implementation that raises, or returns something that is not
``[step_after, loss_after]``, fails with a message that says so, names the
implementation and the input, and never with an unrelated error from the
property's own arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from conformance.implementations import Implementation
from strategies.problems import Problem


class ImplementationRaised(AssertionError):
    """The implementation raised; the original exception is chained as ``__cause__``."""


class UnreadableOutput(AssertionError):
    """The output cannot be read as two numbers ``[step_after, loss_after]``."""


@dataclass(frozen=True)
class Output:
    """What one call returned: the raw value, and ``[step_after, loss_after]`` as float64."""

    raw: object
    values: np.ndarray

    @property
    def step(self) -> float:
        return float(self.values[0])

    @property
    def loss(self) -> float:
        return float(self.values[1])


def describe(value: object) -> str:
    """A short description of a returned value, for messages."""
    shape = getattr(value, "shape", None)
    dtype = getattr(value, "dtype", None)
    if shape is not None and dtype is not None:
        return f"{type(value).__module__}.{type(value).__qualname__} shape={shape} dtype={dtype}"
    return f"{type(value).__qualname__} {value!r:.80}"


def read(raw: object, impl: Implementation, problem: Problem) -> Output:
    """``raw`` as two float64 numbers, leniently: the output-contract property is strict."""
    try:
        values = np.asarray(raw, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise UnreadableOutput(
            f"{impl.name}.one_step returned {describe(raw)}, which is not an array of two "
            f"numbers [step_after, loss_after] {problem.label()}"
        ) from exc
    if values.shape != (2,):
        raise UnreadableOutput(
            f"{impl.name}.one_step returned {describe(raw)} with {values.size} values, "
            f"expected the two values [step_after, loss_after] {problem.label()}"
        )
    return Output(raw=raw, values=values)


def call_raw(impl: Implementation, problem: Problem, *, copy_inputs: bool = True) -> object:
    """Call ``impl.one_step`` on ``problem``; raise :class:`ImplementationRaised` if it raises.

    With ``copy_inputs`` the implementation gets copies, so that one that writes
    into its inputs cannot corrupt the problem that later calls reuse (the
    input-immutability property passes its own arrays and checks them).
    """
    x = problem.x.copy() if copy_inputs else problem.x
    y = problem.y.copy() if copy_inputs else problem.y
    try:
        return impl.one_step(problem.seed, x, y, problem.lr)
    except Exception as exc:
        raise ImplementationRaised(
            f"{impl.name}.one_step raised {type(exc).__name__}: {exc} {problem.label()}"
        ) from exc


def call(impl: Implementation, problem: Problem, *, copy_inputs: bool = True) -> Output:
    """Call ``impl.one_step`` on ``problem`` and read ``[step_after, loss_after]``."""
    return read(call_raw(impl, problem, copy_inputs=copy_inputs), impl, problem)
