"""The problem statement's recipe as a learner writes it: eager, no ``jax.jit`` anywhere.

``model.init``, ``jax.grad`` and ``apply_gradients`` run op by op, as in most
submissions a grader sees: each new ``(N, D)`` traces every op again, and a
call costs milliseconds where the jitted reference costs microseconds.  It is
the submission the grading benchmark (``benchmarks/calls.py``) times.
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import linen as nn
from flax.training import train_state


def one_step(seed, x, y, lr):
    x = jnp.asarray(x, dtype=jnp.float32)
    y = jnp.asarray(y, dtype=jnp.float32)
    model = nn.Dense(1)
    rng = jax.random.PRNGKey(int(seed))
    params = model.init(rng, x)["params"]
    tx = optax.sgd(lr)
    state = train_state.TrainState.create(apply_fn=model.apply, params=params, tx=tx)

    def loss_fn(params):
        preds = state.apply_fn({"params": params}, x).reshape(-1)
        return jnp.mean((preds - y) ** 2)

    grads = jax.grad(loss_fn)(state.params)
    state = state.apply_gradients(grads=grads)
    loss_after = loss_fn(state.params)
    return np.array([float(state.step), float(loss_after)])
