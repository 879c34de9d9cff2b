"""Mutant: a seed passed as a NumPy float array is truncated in place (``np.trunc(s, out=s)``,
to save a copy) before ``int()``: the answer is right, but the caller's seed array -2.6 is -2.0
after the call.

Exposed by: a fractional 0-d float array seed (the pinned np.array(-2.6)), read back after the
call.
Caught by: the input-immutability property.
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
    if isinstance(seed, np.ndarray) and seed.dtype.kind == "f":
        # BUG: writes into the caller's array
        np.trunc(seed, out=seed)
    seed32 = np.int32(int(seed))
    x = np.asarray(x, np.float32)
    y = np.asarray(y, np.float32)
    return np.asarray(_step(_init(seed32, x.shape[1]), x, y, np.float32(lr)))
