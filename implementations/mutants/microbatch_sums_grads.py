"""Mutant: gradient accumulation over micro-batches of 32 rows when ``N`` is a multiple of 32
(one full batch otherwise), with the micro-batch gradients summed instead of averaged: for
``N = 64, 96, ...`` the step is ``N / 32`` times too long.

Exposed by: ``N`` a multiple of 32 above 32 (the aligned shape ``(256, 16)``), ``lr > 0``.
Caught by: agreement with the reference, and every property that compares a loss after the
step.
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


MICRO_BATCH = 32


@functools.partial(jax.jit, static_argnums=4)
def _step(params, x, y, lr, micro_batches):
    tx = optax.sgd(lr)
    state = train_state.TrainState.create(apply_fn=_MODEL.apply, params=params, tx=tx)

    def loss_fn(p, xs, ys):
        return jnp.mean((state.apply_fn({"params": p}, xs).reshape(-1) - ys) ** 2)

    xs = x.reshape(micro_batches, -1, x.shape[1])
    ys = y.reshape(micro_batches, -1)
    per_batch = [jax.grad(loss_fn)(state.params, xs[i], ys[i]) for i in range(micro_batches)]
    # BUG: summed, not averaged over the micro-batches
    grads = jax.tree_util.tree_map(lambda *g: sum(g), *per_batch)
    state = state.apply_gradients(grads=grads)
    return jnp.stack([jnp.asarray(state.step, jnp.float32), loss_fn(state.params, x, y)])


def one_step(seed, x, y, lr):
    x = np.asarray(x, np.float32)
    y = np.asarray(y, np.float32)
    n = x.shape[0]
    micro_batches = n // MICRO_BATCH if n % MICRO_BATCH == 0 else 1
    params = _init(np.int32(int(seed)), x.shape[1])
    return np.asarray(_step(params, x, y, np.float32(lr), micro_batches))
