"""Mutant: a module-level call counter is folded into the init key (a fresh key per call), so no
two calls initialise alike.

Exposed by: every input (even the first call folds in 1).
Caught by: determinism (the same call twice differs) and agreement with the reference.
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import linen as nn
from flax.training import train_state

_MODEL = nn.Dense(1)

_calls = 0


@functools.partial(jax.jit, static_argnums=2)
def _init(seed, calls, d):
    # Linen's init depends on x only through D: compiled per D, not per (N, D).
    key = jax.random.fold_in(jax.random.PRNGKey(seed), calls)  # BUG: hidden state
    return _MODEL.init(key, jnp.zeros((1, d), jnp.float32))["params"]


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
    global _calls
    _calls += 1
    x = np.asarray(x, np.float32)
    y = np.asarray(y, np.float32)
    params = _init(np.int32(int(seed)), np.int32(_calls), x.shape[1])
    out = _step(params, x, y, np.float32(lr))
    return np.asarray(out)
