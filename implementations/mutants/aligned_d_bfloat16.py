"""Mutant: a "tensor-core friendly" path: when ``D`` is a multiple of 16, ``x`` is stored in
bfloat16 for the step, which keeps 8 bits of each feature's mantissa.

Exposed by: ``D`` a multiple of 16 (the aligned shape ``(256, 16)``) with features that
bfloat16 does not hold exactly.
Caught by: agreement with the reference.
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
    x = np.asarray(x, np.float32)
    y = np.asarray(y, np.float32)
    if x.shape[1] % 16 == 0:
        # BUG: 8 mantissa bits of every feature
        x = np.asarray(jnp.asarray(x, jnp.bfloat16).astype(jnp.float32))
    return np.asarray(_step(_init(np.int32(int(seed)), x.shape[1]), x, y, np.float32(lr)))
