"""Mutant: the module turns on Flax's ``flax_return_frozendict`` at import, a legacy-compat
line carried over from code written for Flax before 0.7, and never puts it back.

Its own answers are canonical, but every later ``init`` in its importer's process returns a
``FrozenDict``, where the importer's code assigns into a dict.
Exposed by: importing it.
Caught by: the global-state property (``flax.config`` is process-wide state).
"""

import flax
import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import linen as nn
from flax.training import train_state

flax.config.update("flax_return_frozendict", True)


def one_step(seed, x, y, lr):
    x = jnp.asarray(x, dtype=jnp.float32)
    y = jnp.asarray(y, dtype=jnp.float32)
    model = nn.Dense(1)
    params = model.init(jax.random.PRNGKey(int(seed)), x)["params"]
    state = train_state.TrainState.create(apply_fn=model.apply, params=params, tx=optax.sgd(lr))

    def loss_fn(params):
        return jnp.mean((state.apply_fn({"params": params}, x).reshape(-1) - y) ** 2)

    state = state.apply_gradients(grads=jax.grad(loss_fn)(state.params))
    return np.array([float(state.step), float(loss_fn(state.params))])
