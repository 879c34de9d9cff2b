"""Mutant: y is made a column by assigning its shape (y.shape = (-1, 1)), which reshapes the
caller's array object: no byte changes, but the caller's y is (N, 1) after the call.

Exposed by: any call with a 1-D y.
Caught by: the global-state property (which also holds the caller's array objects).
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import linen as nn
from flax.training import train_state

_MODEL = nn.Dense(1)


@functools.partial(jax.jit, static_argnums=1)
def _init(seed, d):
    # Linen's init depends on x only through D: compiled per D, not per (N, D).
    return _MODEL.init(jax.random.PRNGKey(seed), jnp.zeros((1, d), jnp.float32))["params"]


@jax.jit
def _step(params, x, y, lr):
    tx = optax.sgd(lr)
    state = train_state.TrainState.create(apply_fn=_MODEL.apply, params=params, tx=tx)

    def loss_fn(p):
        return jnp.mean((state.apply_fn({"params": p}, x).reshape(-1) - y) ** 2)

    grads = jax.grad(loss_fn)(state.params)
    state = state.apply_gradients(grads=grads)
    return jnp.stack([jnp.asarray(state.step, jnp.float32), loss_fn(state.params)])


def one_step(seed, x, y, lr):
    if y.ndim == 1:
        y.shape = (-1, 1)  # BUG: no copy, so the caller's y becomes a column
    x = np.asarray(x, np.float32)
    column = np.asarray(y, np.float32)
    out = _step(_init(np.int32(int(seed)), x.shape[1]), x, column.reshape(-1), np.float32(lr))
    return np.asarray(out)
