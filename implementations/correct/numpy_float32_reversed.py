"""The one SGD step in float32 NumPy, with the sums taken in another order.

Every array and scalar is float32, as in the canonical (JAX, x64 off) step,
but the rows are traversed in reverse, the matrix products are written as
elementwise products reduced with ``np.add.reduce`` (NumPy's pairwise
summation instead of XLA's dot), and the mean is ``sum * (1/N)`` instead of
``sum / N``.  The answers differ from the canonical step by float32 rounding
only, which is what the suite's agreement tolerance must allow for.
"""

from __future__ import annotations

import functools
import hashlib

import jax
import jax.numpy as jnp
import numpy as np

_PARAMS_FOLD = int.from_bytes(hashlib.sha1(b"\x01").digest()[:4], "big")
_TRUNC_NORMAL_STD = 0.87962566103423978

F32 = np.float32


@functools.partial(jax.jit, static_argnums=1)
def _linen_kernel(seed: jax.Array, d: int) -> jax.Array:
    key = jax.random.fold_in(jax.random.PRNGKey(seed), _PARAMS_FOLD)
    stddev = jnp.sqrt(jnp.array(1.0 / d, jnp.float32)) / jnp.array(_TRUNC_NORMAL_STD, jnp.float32)
    return jax.random.truncated_normal(key, -2.0, 2.0, (d, 1), jnp.float32) * stddev


def _rowsum(a: np.ndarray) -> np.ndarray:
    """Sum over rows (axis 0), last row first."""
    return np.add.reduce(a[::-1], axis=0, dtype=F32)


def one_step(seed, x, y, lr) -> np.ndarray:
    x32 = np.asarray(x, dtype=F32)
    y32 = np.asarray(y, dtype=F32)
    lr32 = F32(lr)
    n = x32.shape[0]
    inv_n = F32(1.0) / F32(n)
    two = F32(2.0)

    w = np.asarray(_linen_kernel(np.int32(int(seed)), x32.shape[1]), dtype=F32)[:, 0]
    b = F32(0.0)

    def residual(w: np.ndarray, b: np.float32) -> np.ndarray:
        # x @ w as a reduction over the columns, last column first.
        pred = np.add.reduce((x32 * w)[:, ::-1], axis=1, dtype=F32) + b
        return pred - y32

    r = residual(w, b)
    grad_w = (two * inv_n) * _rowsum(x32 * r[:, None])
    grad_b = (two * inv_n) * _rowsum(r)
    w = w - lr32 * grad_w
    b = b - lr32 * grad_b

    r = residual(w, b)
    loss_after = _rowsum(r * r) * inv_n
    return np.array([1.0, loss_after], dtype=F32)
