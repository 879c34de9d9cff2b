"""The one SGD step in closed form, in float64 NumPy.

Only the initial kernel comes from JAX: it is ``nn.Dense(1)``'s Linen init
(lecun_normal through ``jax.random``, key folded with the ``'params'`` stream
hash), which depends on ``(int(seed), D)`` alone; the bias starts at zero.
Then, like the canonical recipe, the inputs are rounded to float32 (JAX's
default precision), and everything after that is float64:

    r = x @ w + b - y
    grad_w = (2/N) x^T r,  grad_b = (2/N) sum(r)
    w' = w - lr * grad_w,  b' = b - lr * grad_b
    loss_after = mean((x @ w' + b' - y) ** 2)

The result is the canonical one up to float32 rounding (the canonical step
rounds every operation to float32, this one only its inputs).
"""

from __future__ import annotations

import functools
import hashlib

import jax
import jax.numpy as jnp
import numpy as np

# Linen folds the first 4 bytes of sha1(b"\x01") into the root key for 'params'.
_PARAMS_FOLD = int.from_bytes(hashlib.sha1(b"\x01").digest()[:4], "big")
_TRUNC_NORMAL_STD = 0.87962566103423978  # stddev of N(0, 1) truncated to (-2, 2)


@functools.partial(jax.jit, static_argnums=1)
def _linen_kernel(seed: jax.Array, d: int) -> jax.Array:
    key = jax.random.fold_in(jax.random.PRNGKey(seed), _PARAMS_FOLD)
    stddev = jnp.sqrt(jnp.array(1.0 / d, jnp.float32)) / jnp.array(_TRUNC_NORMAL_STD, jnp.float32)
    return jax.random.truncated_normal(key, -2.0, 2.0, (d, 1), jnp.float32) * stddev


def one_step(seed, x, y, lr) -> np.ndarray:
    x64 = np.asarray(x, dtype=np.float32).astype(np.float64)
    y64 = np.asarray(y, dtype=np.float32).astype(np.float64)
    lr64 = float(np.float32(lr))
    n, d = x64.shape

    w = np.asarray(_linen_kernel(np.int32(int(seed)), d), dtype=np.float64)[:, 0]
    b = 0.0

    r = x64 @ w + b - y64
    grad_w = (2.0 / n) * (x64.T @ r)
    grad_b = (2.0 / n) * r.sum()
    w = w - lr64 * grad_w
    b = b - lr64 * grad_b

    loss_after = np.mean((x64 @ w + b - y64) ** 2)
    return np.array([1.0, loss_after], dtype=np.float64)
