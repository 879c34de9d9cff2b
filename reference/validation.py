"""Input validation for the one-step contract.

Every entry point of the reference goes through :func:`validate`, so a malformed
input is refused with a ``TypeError`` or ``ValueError`` that names the problem
instead of turning into a silent wrong answer (a ``(N, 1)`` target broadcast
against ``(N,)`` predictions, say).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1


@dataclass(frozen=True)
class StepInputs:
    """Validated inputs, converted the way the canonical recipe converts them.

    With JAX's default (x64 off) ``x`` and ``y`` become float32 and ``lr`` a
    float32 scalar; ``seed`` is ``int(seed)``.
    """

    seed: int
    x: np.ndarray
    y: np.ndarray
    lr: np.float32


def _as_real_array(name: str, value: object) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype == np.bool_ or not (
        np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)
    ):
        raise TypeError(f"{name} must be a real numeric array, got dtype {array.dtype}")
    return array


def _as_real_scalar(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        if isinstance(value, np.ndarray) and value.shape == () and value.dtype.kind in "iuf":
            return float(value)
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    return float(value)


def validate_seed(seed: object) -> int:
    value = _as_real_scalar("seed", seed)
    if not math.isfinite(value):
        raise ValueError(f"seed must be finite, got {value}")
    truncated = int(seed) if isinstance(seed, numbers.Integral) else int(value)
    if not INT32_MIN <= truncated <= INT32_MAX:
        raise ValueError(
            f"int(seed)={truncated} is outside the int32 range [{INT32_MIN}, {INT32_MAX}]; "
            "jax.random.PRNGKey would keep only its low 32 bits"
        )
    return truncated


def validate_lr(lr: object) -> np.float32:
    value = _as_real_scalar("lr", lr)
    if not math.isfinite(value):
        raise ValueError(f"lr must be finite, got {value}")
    if value < 0:
        raise ValueError(f"lr must be >= 0, got {value}")
    return np.float32(value)


def validate(seed: object, x: object, y: object, lr: object) -> StepInputs:
    """Check the inputs of ``one_step`` and convert them to the canonical dtypes."""
    x_arr = _as_real_array("x", x)
    y_arr = _as_real_array("y", y)
    if x_arr.ndim != 2:
        raise ValueError(f"x must be 2-D (N, D), got shape {x_arr.shape}")
    if y_arr.ndim != 1:
        raise ValueError(f"y must be 1-D (N,), got shape {y_arr.shape}")
    n, d = x_arr.shape
    if n == 0 or d == 0:
        raise ValueError(f"x must have N >= 1 rows and D >= 1 columns, got shape {x_arr.shape}")
    if y_arr.shape[0] != n:
        raise ValueError(f"y has {y_arr.shape[0]} entries but x has N={n} rows")
    return StepInputs(
        seed=validate_seed(seed),
        x=np.asarray(x_arr, dtype=np.float32),
        y=np.asarray(y_arr, dtype=np.float32),
        lr=validate_lr(lr),
    )
