"""Mutant: a divergence guard: a step that makes the loss grow more than 1e4 times is
rejected, and the loss before it is returned as the loss after it.

Exposed by: a learning rate far past the data's descent threshold (``lr = 100`` on
unscaled features), where the canonical step overshoots and reports the grown loss.
Caught by: the pin with data near 1e8 and ``lr`` 1000 times the threshold
(``test_reference_agreement.py``), and drawn ``diverging`` learning rates.
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import linen as nn
from flax.training import train_state

_MODEL = nn.Dense(1)
GROWTH_LIMIT = 1e4


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
    loss_after = loss_fn(state.params)
    # BUG: the step is "rejected" when it diverges
    loss_after = jnp.where(loss_after > GROWTH_LIMIT * loss_before, loss_before, loss_after)
    return jnp.stack([jnp.asarray(state.step, jnp.float32), loss_after])


def one_step(seed, x, y, lr):
    x = np.asarray(x, np.float32)
    y = np.asarray(y, np.float32)
    return np.asarray(_step(_init(np.int32(int(seed)), x.shape[1]), x, y, np.float32(lr)))
