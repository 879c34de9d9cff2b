"""Mutant: the seed is converted with ``int()`` only when it is a Python ``float``.

Bug: ``seed = int(seed) if isinstance(seed, float) else seed``, then
``PRNGKey(seed)``.  Python ints and floats, ``np.float64`` (a ``float``
subclass) and NumPy ints work; ``np.float32(7.0)`` and ``np.float16(99.5)``
reach ``PRNGKey`` as floats, which raises, and a 0-d float array too.
Caught by: every property, on the pinned ``np.float32`` and ``np.float16`` seeds
(``test_output_contract.py`` first: ``one_step`` raises on a valid input).
"""

import jax
import jax.numpy as jnp
import optax
from flax import linen as nn
from flax.training import train_state

MODEL = nn.Dense(1)


def one_step(seed, x, y, lr):
    seed = int(seed) if isinstance(seed, float) else seed
    x = jnp.asarray(x, jnp.float32)
    y = jnp.asarray(y, jnp.float32)
    params = MODEL.init(jax.random.PRNGKey(seed), x)["params"]
    state = train_state.TrainState.create(apply_fn=MODEL.apply, params=params, tx=optax.sgd(lr))

    def loss(p):
        return jnp.mean((state.apply_fn({"params": p}, x).reshape(-1) - y) ** 2)

    state = state.apply_gradients(grads=jax.grad(loss)(state.params))
    return jnp.array([state.step, loss(state.params)], jnp.float32)
