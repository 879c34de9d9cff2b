"""An independent oracle: the one SGD step in closed form, in float64 NumPy.

It shares no code with Flax or Optax.  For ``pred = x @ w + b`` and
``L = mean((pred - y)^2)`` the gradient is ``dL/dw = (2/N) x^T r`` and
``dL/db = (2/N) sum(r)`` with ``r = pred - y``; SGD takes ``w - lr * dL/dw``.

The oracle models the canonical computation: its inputs are what the recipe
computes on (``x``, ``y`` and ``lr`` rounded to float32, the float32 Linen
kernel), and everything after is exact up to float64 rounding.  Beside the
values it returns the absolute-value magnitudes that
:mod:`conformance.reference.tolerance` turns into a float32 error bound.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from conformance.reference.linen_init import dense_kernel
from conformance.reference.validation import validate


@dataclass(frozen=True)
class OracleStep:
    """The step's exact values and the magnitudes behind their rounding errors."""

    n: int
    d: int
    lr: float
    loss_before: float
    loss_after: float
    grad_sq_norm: float
    """``|dL/dw|^2 + |dL/db|^2`` at the initial params."""
    descent_threshold: float
    """``1 / lambda_max`` of the Hessian ``(2/N) A^T A``, ``A = [x | 1]``."""
    loss_before_error: float
    """Bound on ``|float32 loss_before - exact|`` (see :mod:`conformance.reference.tolerance`)."""
    loss_after_error: float
    """Bound on ``|float32 loss_after - exact|``."""


def descent_threshold(x: np.ndarray) -> float:
    """``1 / lambda_max((2/N) A^T A)`` with ``A = [x | 1]``, in float64.

    The MSE loss of a linear model is quadratic with that constant Hessian, so
    an SGD step with ``0 < lr <= 1/lambda_max`` lowers the loss by at least
    ``lr * |g|^2 / 2``; any ``lr < 2/lambda_max`` still lowers it.
    """
    x64 = np.ascontiguousarray(x, np.float64)
    # Kept by content: a drawn problem's threshold is asked for again by the oracle, and
    # every property pins the same edge inputs; the eigenproblem is up to 258 x 258.
    key = (x64.shape, hashlib.blake2b(x64.data, digest_size=16).digest())
    threshold = _THRESHOLDS.get(key)
    if threshold is None:
        a = np.hstack([x64, np.ones((x64.shape[0], 1))])
        # A A^T has the nonzero eigenvalues of A^T A: with fewer rows than columns (two rows
        # of 257 features) it is the smaller eigenproblem, 2 x 2 instead of 258 x 258.
        gram = a @ a.T if a.shape[0] < a.shape[1] else a.T @ a
        lambda_max = float(np.linalg.eigvalsh((2.0 / a.shape[0]) * gram)[-1])
        if len(_THRESHOLDS) >= _THRESHOLDS_KEPT:
            _THRESHOLDS.clear()
        threshold = _THRESHOLDS[key] = 1.0 / lambda_max
    return threshold


_THRESHOLDS: dict[tuple[tuple[int, ...], bytes], float] = {}
_THRESHOLDS_KEPT = 4096


def initial_gradient(
    seed: int, x64: np.ndarray, y64: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """``(w0, r0, grad_w, grad_b)`` in float64, for a validated ``int(seed)`` and the float32
    inputs widened: ``nn.Dense(1)``'s initial kernel (its bias is 0), the residuals
    ``x @ w0 - y``, and the exact MSE gradient."""
    n, d = x64.shape
    w0 = dense_kernel(seed, d)[:, 0].astype(np.float64)
    r0 = x64 @ w0 - y64
    return w0, r0, (2.0 / n) * (x64.T @ r0), float((2.0 / n) * r0.sum())


def oracle_step(
    seed: object, x: object, y: object, lr: object, matmul_precision: str = "float32"
) -> OracleStep:
    """The exact one-step values for the float32-rounded inputs, and their error bounds for
    matmuls at ``matmul_precision`` (:mod:`conformance.reference.tolerance`)."""
    from conformance.reference.tolerance import step_error_bounds

    inputs = validate(seed, x, y, lr)
    x64 = inputs.x.astype(np.float64)
    y64 = inputs.y.astype(np.float64)
    lr64 = float(inputs.lr)
    n, d = x64.shape
    w0, r0, grad_w, grad_b = initial_gradient(inputs.seed, x64, y64)
    w1 = w0 - lr64 * grad_w
    b1 = -lr64 * grad_b
    r1 = x64 @ w1 + b1 - y64

    bounds = step_error_bounds(x64, y64, lr64, w0, r0, grad_w, grad_b, w1, b1, r1, matmul_precision)
    return OracleStep(
        n=n,
        d=d,
        lr=lr64,
        loss_before=float(np.mean(r0**2)),
        loss_after=float(np.mean(r1**2)),
        grad_sq_norm=float(grad_w @ grad_w + grad_b**2),
        descent_threshold=descent_threshold(x64),
        loss_before_error=bounds.loss_before,
        loss_after_error=bounds.loss_after,
    )
