"""Mutant: a "maximum batch size" guard: for N > 16384 the step (and the loss after it) uses
only the first 16384 rows, as a data pipeline that caps its batches would.

Exposed by: any x with more than 16384 rows whose later rows differ from the first ones.
Caught by: a drawn single-feature ``x`` with ``N = 24577`` (agreement with the reference, and
every property that compares a loss after the step).
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import linen as nn
from flax.training import train_state

_MODEL = nn.Dense(1)
MAX_BATCH = 16384


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
    x = np.asarray(x, np.float32)
    y = np.asarray(y, np.float32)
    # BUG: rows past the cap are dropped
    x, y = x[:MAX_BATCH], y[:MAX_BATCH]
    return np.asarray(_step(_init(np.int32(int(seed)), x.shape[1]), x, y, np.float32(lr)))
