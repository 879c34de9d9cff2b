"""Mutant: a training script's seed_everything() runs in every call: Python's global random
generator is reseeded and PYTHONHASHSEED set, and both are left so for the caller.

Exposed by: any call (the caller's random.random() then repeats, and its environment changed).
Caught by: the global-state property.
"""

import functools
import os
import random

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


def _seed_everything(seed):
    random.seed(seed)  # BUG: the caller's generator, reseeded and left so
    os.environ["PYTHONHASHSEED"] = str(seed)
    return jax.random.PRNGKey(seed)


def one_step(seed, x, y, lr):
    _seed_everything(int(seed))
    x = np.asarray(x, np.float32)
    y = np.asarray(y, np.float32)
    out = _step(_init(np.int32(int(seed)), x.shape[1]), x, y, np.float32(lr))
    return np.asarray(out)
