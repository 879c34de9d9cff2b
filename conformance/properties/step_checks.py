"""A TrainState's step counter: an integral scalar (a Python int eagerly in Flax, an int32
array under ``jax.jit``) with the right value."""

from __future__ import annotations

import numpy as np

from conformance.isolation.trees import Leaf
from conformance.properties.observing import Context

MIN_STEP_BYTES = 4
"""A step counter's integers are at least 32 bits wide, as Flax's are under ``jax.jit``: an
8- or 16-bit counter wraps within a short training run (a uint8 one after 255 steps), and a
schedule that reads ``state.step`` starts over."""


def step_problem(step: Leaf) -> str | None:
    """``None`` if ``step`` is an integral scalar (Python/NumPy int, or 0-d integer array) of
    at least 32 bits."""
    if step.type in ("builtins.bool", "numpy.bool_", "numpy.bool"):
        return f"a bool ({step.text})"
    if step.type == "builtins.int":
        return None
    if not step.is_array:
        return f"a {step.type.rsplit('.', 1)[-1]} ({step.text})"
    if step.shape != ():
        return f"an array of shape {step.shape}, not a scalar"
    if step.array is None or not np.issubdtype(step.array.dtype, np.integer):
        return f"a {step.type.rsplit('.', 1)[-1]} of dtype {step.dtype}, not an integer dtype"
    if step.array.dtype.itemsize < MIN_STEP_BYTES:
        top = np.iinfo(step.array.dtype).max
        return (
            f"a {step.type.rsplit('.', 1)[-1]} of dtype {step.dtype}, which wraps or overflows "
            f"after {top} steps"
        )
    return None


def step_value(step: Leaf) -> int:
    if step.value is not None:
        return int(step.value)
    assert step.array is not None
    return int(step.array)


def is_integral(step: Leaf) -> bool:
    """Whether ``step`` is an integral scalar of at least 32 bits (:func:`step_problem`)."""
    return step_problem(step) is None


def counted_from(step: Leaf) -> int:
    """The value ``step`` counts from: its own if it is an integral scalar, else 0."""
    return step_value(step) if step_problem(step) is None else 0


def _number(step: Leaf) -> float | None:
    """The value of a scalar step of any type (a float, a bool, a 0-d array), or ``None``."""
    try:
        if step.value is not None:
            return float(step.value)
        if step.array is not None and step.array.shape == ():
            return float(step.array)
    except (TypeError, ValueError):
        pass
    return None


STEP_RULE = "create must start at step 0 and each apply_gradients call must return step + 1"


def check_step(
    ctx: Context,
    step: Leaf,
    expected: int,
    after: str,
    *,
    integral: bool = True,
    rule: str = STEP_RULE,
) -> None:
    """``step`` is an integral scalar equal to ``expected``; ``rule`` says why that value.

    ``integral=False``: only its value, for a property that checks the step on the way to
    another subject while the step property owns the same fault of type (a float counter
    fails once, there); a step that is not a scalar number is left to that property too.
    """
    problem = step_problem(step)
    if problem is not None and not integral:
        value = _number(step)
        assert value is None or value == expected, (
            f"{ctx.name}: step is {problem} {after}, expected {expected}: {rule} {ctx}"
        )
        return
    assert problem is None, (
        f"{ctx.name}: step is {problem} {after}; it must be an integral count (Flax: the "
        f"Python int {expected}, or an int32 array under jax.jit) {ctx}"
    )
    assert step_value(step) == expected, (
        f"{ctx.name}: step is {step_value(step)} {after}, expected {expected}: {rule} {ctx}"
    )


def counted_like(step: Leaf, otherwise: int) -> int:
    """The count ``step`` holds, whatever its type, if it is a whole number; else ``otherwise``."""
    value = _number(step)
    return int(value) if value is not None and value.is_integer() else otherwise
