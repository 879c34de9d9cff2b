"""The one SGD step with ``flax.nnx``: ``nnx.Linear``, ``nnx.Optimizer`` and ``nnx.value_and_grad``.

``nnx.Linear(D, 1)`` initialises its kernel from its own ``Rngs`` streams,
which is not what ``nn.Dense(1).init(PRNGKey(seed), x)`` draws, so the kernel
is overwritten with Linen's initialisation (lecun_normal from
``fold_in(PRNGKey(seed), <'params' stream hash>)``); the bias starts at zero in
both APIs.  The optimizer is ``nnx.Optimizer(model, optax.sgd(lr),
wrt=nnx.Param)``, one ``optimizer.update(model, grads)`` is the step, and the
reported step is the optimizer's own counter.

The NNX objects are created and used inside one ``jax.jit`` trace (they never
cross the jit boundary), so there is one compilation per input shape and the
``seed`` and ``lr`` arguments are traced.
"""

from __future__ import annotations

import hashlib

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

_PARAMS_FOLD = int.from_bytes(hashlib.sha1(b"\x01").digest()[:4], "big")
_TRUNC_NORMAL_STD = 0.87962566103423978


def _linen_kernel(seed: jax.Array, d: int) -> jax.Array:
    key = jax.random.fold_in(jax.random.PRNGKey(seed), _PARAMS_FOLD)
    stddev = jnp.sqrt(jnp.array(1.0 / d, jnp.float32)) / jnp.array(_TRUNC_NORMAL_STD, jnp.float32)
    return jax.random.truncated_normal(key, -2.0, 2.0, (d, 1), jnp.float32) * stddev


@jax.jit
def _step(seed: jax.Array, x: jax.Array, y: jax.Array, lr: jax.Array) -> jax.Array:
    d = x.shape[1]
    model = nnx.Linear(d, 1, rngs=nnx.Rngs(params=jax.random.key(seed)))
    model.kernel[...] = _linen_kernel(seed, d)  # Linen-compatible init
    optimizer = nnx.Optimizer(model, optax.sgd(lr), wrt=nnx.Param)

    def loss_fn(m: nnx.Linear) -> jax.Array:
        return jnp.mean((m(x).reshape(-1) - y) ** 2)

    _, grads = nnx.value_and_grad(loss_fn)(model)
    optimizer.update(model, grads)
    return jnp.stack([optimizer.step[...].astype(jnp.float32), loss_fn(model)])


def one_step(seed, x, y, lr) -> np.ndarray:
    out = _step(
        np.int32(int(seed)), np.asarray(x, np.float32), np.asarray(y, np.float32), np.float32(lr)
    )
    return np.asarray(out)
