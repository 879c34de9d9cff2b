"""Mutant: the init key is PRNGKey(seed + N), so the initial params depend on the number of rows.

Exposed by: every input (N >= 1 always shifts the key).
Caught by: agreement with the reference and invariance under repeating the dataset (N changes).
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import linen as nn
from flax.training import train_state

_MODEL = nn.Dense(1)


@jax.jit
def _step(seed, x, y, lr):
    params = _MODEL.init(jax.random.PRNGKey(seed + x.shape[0]), x)["params"]  # BUG: + N
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
    out = _step(np.int32(int(seed)), x, y, np.float32(lr))
    return np.asarray(out)
