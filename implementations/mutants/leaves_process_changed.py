"""Mutant: the step writes a compile log into a scratch directory it changes to and switches
the garbage collector off "for speed", and leaves both so: the caller's relative paths and
memory change behind its back.

Exposed by: any call (the working directory and ``gc.isenabled()`` differ after it).
Caught by: the global-state property.
"""

import functools
import gc
import os
import tempfile

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import linen as nn
from flax.training import train_state

_MODEL = nn.Dense(1)
_SCRATCH = os.path.join(tempfile.gettempdir(), "one_step_scratch")
os.makedirs(_SCRATCH, exist_ok=True)


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

    grads = jax.grad(loss_fn)(state.params)
    state = state.apply_gradients(grads=grads)
    return jnp.stack([jnp.asarray(state.step, jnp.float32), loss_fn(state.params)])


def one_step(seed, x, y, lr):
    # BUG: process-wide changes, never undone
    os.chdir(_SCRATCH)
    gc.disable()
    x = np.asarray(x, np.float32)
    y = np.asarray(y, np.float32)
    return np.asarray(_step(_init(np.int32(int(seed)), x.shape[1]), x, y, np.float32(lr)))
