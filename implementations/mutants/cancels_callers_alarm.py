"""Mutant: the step guards against a hung compile with a SIGALRM timeout, puts the caller's
SIGALRM handler back, but ends with ``signal.alarm(0)``: the value ``signal.alarm`` returned
(the caller's pending alarm) is thrown away, so a caller's watchdog or time limit is
cancelled for good.  The answers are the canonical recipe's.

Exposed by: any call in a process with a pending SIGALRM timer (a host keeps one).
Caught by: the global-state property.
"""

import signal
import threading

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import linen as nn
from flax.training import train_state


def _expired(signum, frame):
    raise TimeoutError("one_step did not finish within 600 s")


def _recipe(seed, x, y, lr):
    x = jnp.asarray(x, dtype=jnp.float32)
    y = jnp.asarray(y, dtype=jnp.float32)
    model = nn.Dense(1)
    params = model.init(jax.random.PRNGKey(int(seed)), x)["params"]
    state = train_state.TrainState.create(apply_fn=model.apply, params=params, tx=optax.sgd(lr))

    def loss_fn(params):
        return jnp.mean((state.apply_fn({"params": params}, x).reshape(-1) - y) ** 2)

    state = state.apply_gradients(grads=jax.grad(loss_fn)(state.params))
    return np.array([float(state.step), float(loss_fn(state.params))])


def one_step(seed, x, y, lr):
    if threading.current_thread() is not threading.main_thread():
        return _recipe(seed, x, y, lr)
    previous = signal.signal(signal.SIGALRM, _expired)
    signal.alarm(600)
    try:
        return _recipe(seed, x, y, lr)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
