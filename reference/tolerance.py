"""The tolerance policy: a worst-case float32 rounding-error bound for one SGD step.

The canonical step runs in float32.  Its error against exact arithmetic is
bounded with the standard forward-error analysis of dot products and sums
(Higham, *Accuracy and Stability of Numerical Algorithms*, ch. 3): a sum of
``k`` products computed in any order, with or without FMA, is within
``gamma(k) * sum(|terms|)`` of the exact sum, ``gamma(k) = k*u / (1 - k*u)``,
``u = 2**-24``.  Each bound below follows one line of the step; the counts
carry a few extra roundings for the input casts to float32 (so a float64
implementation that never rounds its inputs is covered too), for ``2/N``, and
for the order in which autodiff multiplies the cotangents.

    r0  = x @ w0 - y                 |dr0_i| <= gamma(D+4) * (sum_j |x_ij w0_j| + |y_i|)
    L0  = mean(r0^2)                 |dL0|   <= mean(2|r0| |dr0| + dr0^2) + gamma(N+4) * mean(r0^2)
    g_w = (2/N) x^T r0               |dg_w|  <= (2/N) (|x|^T |dr0| + gamma(N+4) |x|^T |r0|)
    g_b = (2/N) sum(r0)              |dg_b|  <= (2/N) (sum |dr0| + gamma(N+4) sum |r0|)
    w1  = w0 - lr g_w                |dw1|   <= lr |dg_w| + gamma(3) (|w0| + lr |g_w|)
    b1  = -lr g_b                    |db1|   <= lr |dg_b| + gamma(3) lr |g_b|
    r1  = x @ w1 + b1 - y            |dr1_i| <= |x_i| . |dw1| + |db1|
                                                + gamma(D+4) (|x_i| . |w1| + |b1| + |y_i|)
    L1  = mean(r1^2)                 |dL1|   <= mean(2|r1| |dr1| + dr1^2) + gamma(N+4) * mean(r1^2)

The magnitudes are taken from the float64 oracle.  The bound is first order in
``u`` except for the squared terms, which are kept because a large ``lr``
amplifies ``dw1``; the neglected terms are ``O((N+D)^2 u^2)`` relative, below
``1e-8`` for every shape the suite draws.  ``ABSOLUTE_FLOOR`` covers float32
underflow, where XLA on CPU may flush subnormals to zero.

Comparing two float32 computations (an implementation against the
reference, or an implementation against itself on permuted data) allows the
sum of their two bounds: each may err by up to its bound, in opposite
directions.

Matmul precision. On a GPU or TPU, JAX computes a float32 matmul at the
platform's default precision: Ampere and newer GPUs read its inputs as TF32
(10 explicit mantissa bits), TPUs as bfloat16 (7), and accumulate in float32
(JAX's documentation on ``jax_default_matmul_precision``). How an input is
cut to ``t`` explicit mantissa bits depends on the code path: rounding to
nearest errs by at most ``2**-(t+1)`` of the value, truncation by less than
``2**-t``. Both occur: Triton, which XLA uses for GPU matmuls, hands float32
operands to TF32 tensor cores unrounded, so that their low bits are dropped
(triton-lang/triton#4574; an explicit rounding option came only in #9295),
and early bfloat16 casts truncated too. So ``v`` is ``2**-t``, the bound of
either. Cutting each input to relative error ``v`` multiplies every product
``x_ij w_j`` by at most ``(1 + v)^2``, so a dot product of ``k`` terms is
within ``((1 + v)^2 (1 + gamma(k)) - 1) * sum(|terms|)`` of the exact one
(:func:`dot_gamma`). The three matmuls of the step (``x @ w0``, the kernel
gradient ``x^T r0``, ``x @ w1``) take that factor in place of ``gamma(k)``;
the sums (the bias gradient, the mean) stay float32 reductions. Under
``"float32"`` the factor is ``gamma(k)`` itself: the bound above, unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

UNIT_ROUNDOFF = 2.0**-24
ABSOLUTE_FLOOR = 1e-36

MATMUL_INPUT_ROUNDOFF: dict[str, float] = {
    "float32": 0.0,
    "tensorfloat32": 2.0**-10,
    "bfloat16": 2.0**-7,
}
"""The relative error of a float32 matmul's inputs at each of JAX's precisions (its own
names), rounded or truncated: none beyond float32's, TF32's 10 explicit mantissa bits,
bfloat16's 7."""


def gamma(k: int) -> float:
    """Higham's ``gamma_k``: the relative error bound of ``k`` chained float32 roundings."""
    ku = k * UNIT_ROUNDOFF
    return ku / (1.0 - ku)


def dot_gamma(k: int, matmul_precision: str = "float32") -> float:
    """The relative error bound of a ``k``-term dot product computed at ``matmul_precision``."""
    v = MATMUL_INPUT_ROUNDOFF[matmul_precision]
    if v == 0.0:
        return gamma(k)
    return (1.0 + v) ** 2 * (1.0 + gamma(k)) - 1.0


@dataclass(frozen=True)
class StepErrorBounds:
    loss_before: float
    loss_after: float


def _mse_error(r: np.ndarray, dr: np.ndarray) -> float:
    n = r.shape[0]
    return float(np.mean(2.0 * np.abs(r) * dr + dr * dr) + gamma(n + 4) * np.mean(r * r))


def step_error_bounds(
    x: np.ndarray,
    y: np.ndarray,
    lr: float,
    w0: np.ndarray,
    r0: np.ndarray,
    grad_w: np.ndarray,
    grad_b: float,
    w1: np.ndarray,
    b1: float,
    r1: np.ndarray,
    matmul_precision: str = "float32",
) -> StepErrorBounds:
    """Bounds on ``|float32 loss - exact loss|`` before and after the step (float64 inputs),
    for matmuls at ``matmul_precision``."""
    n, d = x.shape
    ax, ay = np.abs(x), np.abs(y)
    forward = dot_gamma(d + 4, matmul_precision)
    dr0 = forward * (ax @ np.abs(w0) + ay)
    dg_w = (2.0 / n) * (ax.T @ dr0 + dot_gamma(n + 4, matmul_precision) * (ax.T @ np.abs(r0)))
    dg_b = (2.0 / n) * (dr0.sum() + gamma(n + 4) * np.abs(r0).sum())
    dw1 = lr * dg_w + gamma(3) * (np.abs(w0) + lr * np.abs(grad_w))
    db1 = lr * dg_b + gamma(3) * lr * abs(grad_b)
    dr1 = ax @ dw1 + db1 + forward * (ax @ np.abs(w1) + abs(b1) + ay)
    return StepErrorBounds(
        loss_before=_mse_error(r0, dr0) + ABSOLUTE_FLOOR,
        loss_after=_mse_error(r1, dr1) + ABSOLUTE_FLOOR,
    )


def pairwise(first_bound: float, second_bound: float) -> float:
    """Tolerance for comparing two float32 results whose errors have these bounds."""
    return first_bound + second_bound
