"""Mutant: the predictions are flattened with ``ravel(order="K")`` on a buffer-ordered copy.

Bug: ``x`` is reshaped through ``np.ravel(x, order="K").reshape(n, d)``, which
reads the elements in memory order: right for the C-ordered arrays callers
usually pass, a transposed matrix for a Fortran-ordered ``x`` or a transposed
view (loss 2.82 against 1.45 on one such input).
Caught by: ``test_input_immutability.py::test_memory_layout_does_not_change_the_result``.
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import linen as nn
from flax.training import train_state

MODEL = nn.Dense(1)


def one_step(seed, x, y, lr):
    n, d = np.shape(x)
    x = jnp.asarray(np.ravel(x, order="K").reshape(n, d), jnp.float32)
    y = jnp.asarray(y, jnp.float32)
    params = MODEL.init(jax.random.PRNGKey(int(seed)), x)["params"]
    state = train_state.TrainState.create(apply_fn=MODEL.apply, params=params, tx=optax.sgd(lr))

    def loss(p):
        return jnp.mean((state.apply_fn({"params": p}, x).reshape(-1) - y) ** 2)

    state = state.apply_gradients(grads=jax.grad(loss)(state.params))
    return jnp.array([state.step, loss(state.params)], jnp.float32)
