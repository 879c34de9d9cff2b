"""Mutant: an early exit: when the loss is already below 1e-10 the model counts as
converged, the update is skipped and the loss before it is returned.

Exposed by: data near 1e-6, whose loss is near 1e-12 before any step; the canonical
step still moves the params.
Caught by: the pin with data near 1e-6 (``test_reference_agreement.py``), and drawn
data at that scale.
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import linen as nn
from flax.training import train_state

_MODEL = nn.Dense(1)
CONVERGED = 1e-10


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

    loss_before, grads = jax.value_and_grad(loss_fn)(state.params)
    state = state.apply_gradients(grads=grads)
    # BUG: a loss this small is taken for convergence, and the step is not reported
    loss_after = jnp.where(loss_before < CONVERGED, loss_before, loss_fn(state.params))
    return jnp.stack([jnp.asarray(state.step, jnp.float32), loss_after])


def one_step(seed, x, y, lr):
    x = np.asarray(x, np.float32)
    y = np.asarray(y, np.float32)
    return np.asarray(_step(_init(np.int32(int(seed)), x.shape[1]), x, y, np.float32(lr)))
