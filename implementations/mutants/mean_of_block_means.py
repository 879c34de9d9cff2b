"""Mutant: the loss is the mean of per-block means, over blocks of 2048 rows.

Bug: to bound memory, the MSE is computed block by block and the block means
averaged, which weighs a short last block like a full one.  Right whenever
``N`` is at most 2048 or a multiple of it.
Caught by: the pin with ``N = 8193`` (``test_reference_agreement.py``).
"""

import jax
import jax.numpy as jnp
import optax
from flax import linen as nn
from flax.training import train_state

MODEL = nn.Dense(1)
BLOCK = 2048


def one_step(seed, x, y, lr):
    x = jnp.asarray(x, jnp.float32)
    y = jnp.asarray(y, jnp.float32)
    params = MODEL.init(jax.random.PRNGKey(int(seed)), x)["params"]
    state = train_state.TrainState.create(apply_fn=MODEL.apply, params=params, tx=optax.sgd(lr))

    def loss(p):
        r2 = (state.apply_fn({"params": p}, x).reshape(-1) - y) ** 2
        means = [jnp.mean(r2[i : i + BLOCK]) for i in range(0, r2.shape[0], BLOCK)]
        return jnp.mean(jnp.stack(means))

    state = state.apply_gradients(grads=jax.grad(loss)(state.params))
    return jnp.array([state.step, loss(state.params)], jnp.float32)
