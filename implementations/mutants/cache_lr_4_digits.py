"""Mutant: results are memoised under the seed, the shape, the data's bytes and the learning
rate written to 4 significant digits, so a later call with a learning rate that agrees with an
earlier one to 4 digits (0.22222222 and 0.2222) gets the earlier answer.

Exposed by: a second call with the same data and the learning rate rounded to 4 digits.
Caught by: the no-hidden-state property (its rounded-lr neighbour, pinned).
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


_cache = {}


def one_step(seed, x, y, lr):
    x = np.asarray(x, np.float32)
    y = np.asarray(y, np.float32)
    # BUG: two learning rates that agree to 4 significant digits share a key
    key = (int(seed), x.shape, x.tobytes(), y.tobytes(), f"{float(lr):.4g}")
    if key not in _cache:
        _cache[key] = np.asarray(
            _step(_init(np.int32(int(seed)), x.shape[1]), x, y, np.float32(lr))
        )
    return _cache[key].copy()
