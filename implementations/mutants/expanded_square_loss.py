"""Mutant: the loss after the step is evaluated in expanded form, mean(p**2) - 2*mean(p*y) +
mean(y**2), in float32: it cancels when the loss is small next to mean(y**2).

Exposed by: a step that nearly fits a large target (one row, y = 1000, lr 1e-4 below the
threshold): the loss is about 0.01, and the expanded form is off by a rounding of 1e6 (0.06).
Caught by: agreement with the reference (its near-fit pin).
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
    preds = state.apply_fn({"params": state.params}, x).reshape(-1)
    # BUG: algebraically the same mean of squares, numerically not
    loss = jnp.mean(preds**2) - 2 * jnp.mean(preds * y) + jnp.mean(y**2)
    return jnp.stack([jnp.asarray(state.step, jnp.float32), loss])


def one_step(seed, x, y, lr):
    x = np.asarray(x, np.float32)
    y = np.asarray(y, np.float32)
    return np.asarray(_step(_init(np.int32(int(seed)), x.shape[1]), x, y, np.float32(lr)))
