"""Mutant: from 4096 rows, when at most a quarter of the ``(x, y)`` rows are distinct, the step
merges duplicates into count-weighted rows (exact, in float64), but keeps the counts as
``uint16``: a row repeated 65,536 times or more wraps, and its weight with it.

Exposed by: 70,001 rows with one repeated 66,000 times (the agreement property's pin).
Caught by: the agreement property.
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np
from flax import linen as nn

_MODEL = nn.Dense(1)
_MERGE_MIN_ROWS = 4096


@functools.partial(jax.jit, static_argnums=1)
def _init(seed, d):
    return _MODEL.init(jax.random.PRNGKey(seed), jnp.zeros((1, d), jnp.float32))["params"]


def _weighted_step(a, y, c, theta, lr, n):
    """One SGD step on sum_i c_i (a_i . theta - y_i)^2 / n; a has a trailing ones column."""
    r0 = a @ theta - y
    g = (2.0 / n) * (a.T @ (c * r0))
    theta1 = theta - lr * g
    r1 = a @ theta1 - y
    return float(np.dot(c, r1 * r1) / n)


def one_step(seed, x, y, lr):
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    n, d = x.shape
    params = _init(np.int32(int(seed)), d)
    theta = np.concatenate(
        [
            np.asarray(params["kernel"], np.float64).reshape(-1),
            np.asarray(params["bias"], np.float64).reshape(-1),
        ]
    )
    a = np.column_stack([x, np.ones(n)])
    counts = np.ones(n)
    if n >= _MERGE_MIN_ROWS:
        unique, found = np.unique(np.column_stack([a, y]), axis=0, return_counts=True)
        if len(unique) <= n // 4:
            a, y = unique[:, :-1], unique[:, -1]
            counts = found.astype(np.uint16).astype(np.float64)  # a row never repeats 65536x
    return np.array([1.0, _weighted_step(a, y, counts, theta, float(lr), n)])
