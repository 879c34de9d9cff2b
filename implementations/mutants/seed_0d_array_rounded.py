"""Mutant: a seed passed as a 0-d array (what ``np.load`` or a config loader gives) goes through
``np.rint`` before ``int()``; scalars go through ``int()`` as the contract says.

Exposed by: only a fractional 0-d array seed whose fraction rounds away (np.array(-2.6) seeds
-3, where int() gives -2).
Caught by: agreement with the reference (the pinned np.array(-2.6) seed) and the equal-int(seed)
property (its fractional 0-d array form).
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
    # BUG: rounds a 0-d array seed instead of truncating it
    if isinstance(seed, np.ndarray):
        seed = np.rint(seed)
    seed32 = np.int32(int(seed))
    x = np.asarray(x, np.float32)
    y = np.asarray(y, np.float32)
    return np.asarray(_step(_init(seed32, x.shape[1]), x, y, np.float32(lr)))
