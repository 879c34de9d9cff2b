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


def counted_from(step: Leaf) -> int:
    """The value ``step`` counts from: its own if it is an integral scalar, else 0."""
    return step_value(step) if step_problem(step) is None else 0


def check_step(ctx: Context, step: Leaf, expected: int, after: str) -> None:
    """``step`` is an integral scalar equal to ``expected``."""
    problem = step_problem(step)
    assert problem is None, (
        f"{ctx.name}: step is {problem} {after}; it must be an integral count (Flax: the "
        f"Python int {expected}, or an int32 array under jax.jit) {ctx}"
    )
    assert step_value(step) == expected, (
        f"{ctx.name}: step is {step_value(step)} {after}, expected {expected}: create must "
        f"start at step 0 and each apply_gradients call must return step + 1 {ctx}"
    )
