"""Mutant: the residual is ``prediction + (-y)``, with ``-y`` taken in ``y``'s own dtype, as code
that builds the augmented design ``[x | 1 | -y]`` of a least-squares solve does.

Bug: ``-y`` of an unsigned integer type wraps (``-np.uint8(3) == 253``), and of ``int8``
-128 stays -128.  Float targets and int64 ones are unaffected.
Exposed by: integer targets of a narrow type (labels or counts stored as ``uint8``).
Caught by: agreement with the reference (the pinned uint8 targets, and drawn ones).
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import linen as nn
from flax.training import train_state

_MODEL = nn.Dense(1)


@functools.partial(jax.jit, static_argnums=1)
def _init(seed, d):
    return _MODEL.init(jax.random.PRNGKey(seed), jnp.zeros((1, d), jnp.float32))["params"]


@jax.jit
def _step(params, x, minus_y, lr):
    tx = optax.sgd(lr)
    state = train_state.TrainState.create(apply_fn=_MODEL.apply, params=params, tx=tx)

    def loss_fn(p):
        return jnp.mean((state.apply_fn({"params": p}, x).reshape(-1) + minus_y) ** 2)

    grads = jax.grad(loss_fn)(state.params)
    state = state.apply_gradients(grads=grads)
    return jnp.stack([jnp.asarray(state.step, jnp.float32), loss_fn(state.params)])


def one_step(seed, x, y, lr):
    x = np.asarray(x, np.float32)
    minus_y = (-np.asarray(y)).astype(np.float32)  # BUG: negated in y's own dtype
    out = _step(_init(np.int32(int(seed)), x.shape[1]), x, minus_y, np.float32(lr))
    return np.asarray(out)
