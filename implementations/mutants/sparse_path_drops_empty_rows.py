"""Mutant: from 1024 rows, for an ``x`` at most 30% nonzero, the step takes a CSR-style sparse
path over the stored entries, which visits only rows with an entry: an all-zero row loses its
residual ``b - y_i`` in the loss and in the bias's gradient, while the mean still divides by
``N``.

Exposed by: 70,001 one-hot rows, one in five of the last 4,001 all zeros (the agreement
property's pin).
Caught by: the agreement property.
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import linen as nn
from flax.training import train_state

_MODEL = nn.Dense(1)
_SPARSE_MIN_ROWS = 1024
_SPARSE_MAX_DENSITY = 0.3


@functools.partial(jax.jit, static_argnums=1)
def _init(seed, d):
    return _MODEL.init(jax.random.PRNGKey(seed), jnp.zeros((1, d), jnp.float32))["params"]


@jax.jit
def _step(params, x, y, lr):
    state = train_state.TrainState.create(apply_fn=_MODEL.apply, params=params, tx=optax.sgd(lr))

    def loss_fn(p):
        preds = state.apply_fn({"params": p}, x).reshape(-1)
        return jnp.mean((preds - y) ** 2)

    grads = jax.grad(loss_fn)(state.params)
    new_state = state.apply_gradients(grads=grads)
    return new_state.step, loss_fn(new_state.params)


def _sparse_step(params, x, y, lr):
    n, d = x.shape
    rows, cols = np.nonzero(x)  # the stored entries, row-major (CSR order)
    vals = x[rows, cols].astype(np.float64)
    y = y.astype(np.float64)
    w = np.asarray(params["kernel"], np.float64).reshape(-1)
    b = float(np.asarray(params["bias"], np.float64)[0])
    visited = np.unique(rows)

    def residuals(w, b):
        r = np.zeros(n)
        xw = np.bincount(rows, weights=vals * w[cols], minlength=n)
        r[visited] = xw[visited] + b - y[visited]
        return r

    r0 = residuals(w, b)
    gw = (2.0 / n) * np.bincount(cols, weights=vals * r0[rows], minlength=d)
    gb = (2.0 / n) * r0.sum()
    w1, b1 = w - lr * gw, b - lr * gb
    r1 = residuals(w1, b1)
    return np.array([1.0, float(np.dot(r1, r1) / n)])


def one_step(seed, x, y, lr):
    x = np.asarray(x, np.float32)
    y = np.asarray(y, np.float32)
    params = _init(np.int32(int(seed)), x.shape[1])
    nnz = np.count_nonzero(x)
    if x.shape[0] >= _SPARSE_MIN_ROWS and 0 < nnz <= _SPARSE_MAX_DENSITY * x.size:
        return _sparse_step(params, x, y, float(lr))
    step, loss = _step(params, x, y, jnp.float32(lr))
    return np.array([float(step), float(loss)])
