"""Mutant: the key is built as ``PRNGKey(0)`` under ``jax_random_seed_offset=int(seed)`` (the
offset JAX adds to every seed), and the offset is left set: the answers are right, but every
later ``jax.random.PRNGKey(k)`` in the caller's process is ``PRNGKey(k + seed)``.

Exposed by: any call with a nonzero seed (JAX's seed offset differs after it).
Caught by: the global-state property.
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import linen as nn
from flax.training import train_state

_MODEL = nn.Dense(1)


def _init(d):
    # The offset is read when the key is made, outside any trace.
    return _MODEL.init(jax.random.PRNGKey(0), jnp.zeros((1, d), jnp.float32))["params"]


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
    # BUG: the offset stays set for the caller
    jax.config.update("jax_random_seed_offset", int(seed))
    x = np.asarray(x, np.float32)
    y = np.asarray(y, np.float32)
    return np.asarray(_step(_init(x.shape[1]), x, y, np.float32(lr)))
