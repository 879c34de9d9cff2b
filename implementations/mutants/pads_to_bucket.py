"""Mutant: batches above 2048 rows are padded with zero rows up to a multiple of 512.

Bug: to reuse one compiled step per bucket, ``x`` and ``y`` are padded with
zeros, and the loss is the mean over the padded batch: the padding leaks into
the mean (and into the gradient's ``2/N``).  Right for every ``N <= 2048``
and for multiples of 512.
Caught by: the pin with ``N = 8193`` (``test_reference_agreement.py``).
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import linen as nn
from flax.training import train_state

MODEL = nn.Dense(1)
BUCKET = 512


def one_step(seed, x, y, lr):
    x = np.asarray(x, np.float32)
    y = np.asarray(y, np.float32)
    n = x.shape[0]
    if n > 2048 and n % BUCKET:
        pad = BUCKET - n % BUCKET
        x = np.concatenate([x, np.zeros((pad, x.shape[1]), np.float32)])
        y = np.concatenate([y, np.zeros(pad, np.float32)])
    params = MODEL.init(jax.random.PRNGKey(int(seed)), x)["params"]
    state = train_state.TrainState.create(apply_fn=MODEL.apply, params=params, tx=optax.sgd(lr))

    def loss(p):
        return jnp.mean((state.apply_fn({"params": p}, x).reshape(-1) - y) ** 2)

    state = state.apply_gradients(grads=jax.grad(loss)(state.params))
    return jnp.array([state.step, loss(state.params)], jnp.float32)
