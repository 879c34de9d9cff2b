"""Mutant: results are memoised under the identity of the input arrays (``id(x)``, ``id(y)``),
which are kept alive so that their ids stay unique; a caller that refills the same arrays in
place, as a data loader reuses its batch buffers, gets the answer for their old contents.

Exposed by: a later call handed the arrays of an earlier one with the same seed and lr,
overwritten with other values.
Caught by: the no-hidden-state property (its later calls reuse the earlier calls' buffers).
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


_memo = {}


def one_step(seed, x, y, lr):
    # BUG: the arrays' identity stands in for their contents
    key = (id(x), id(y), int(seed), float(lr))
    if key not in _memo:
        result = np.asarray(
            _step(
                _init(np.int32(int(seed)), np.shape(x)[1]),
                np.asarray(x, np.float32),
                np.asarray(y, np.float32),
                np.float32(lr),
            )
        )
        _memo[key] = (x, y, result)
    return _memo[key][2].copy()
