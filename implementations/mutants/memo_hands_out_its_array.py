"""Mutant: an exact memo (the seed, lr and the bytes, shapes and dtypes of x and y), right in
every value, that hands out the very array it keeps, so a caller that writes into its answer
(``out[1] *= n``, ``total += ...``) rewrites what every later call with those inputs returns.

Exposed by: the same call twice: the second answer is the first answer's memory.
Caught by: the determinism property (the same call twice returns one writable array).
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
    key = (int(seed), float(lr), x.shape, x.tobytes(), y.tobytes())
    if key not in _cache:
        _cache[key] = np.asarray(
            _step(_init(np.int32(int(seed)), x.shape[1]), x, y, np.float32(lr))
        ).copy()
    # BUG: the memo's own writable array, not a copy of it
    return _cache[key]
