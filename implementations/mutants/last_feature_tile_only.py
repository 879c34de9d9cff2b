"""Mutant: x @ kernel is computed in tiles of 8 features, and each tile's partial product is
assigned where it should be added, so only the last tile counts: exact for D <= 8, wrong for
every wider x.

Exposed by: any x with more than 8 features (D = 9, D = 257).
Caught by: agreement with the reference and the lr == 0 property, on the wide shapes.
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np
from flax import linen as nn

_MODEL = nn.Dense(1)
TILE = 8


@functools.partial(jax.jit, static_argnums=1)
def _init(seed, d):
    return _MODEL.init(jax.random.PRNGKey(seed), jnp.zeros((1, d), jnp.float32))["params"]


def _predict(params, x):
    kernel = params["kernel"][:, 0]
    acc = jnp.zeros(x.shape[0], x.dtype)
    for start in range(0, x.shape[1], TILE):
        acc = x[:, start : start + TILE] @ kernel[start : start + TILE]  # BUG: should be +=
    return acc + params["bias"][0]


@jax.jit
def _step(params, x, y, lr):
    def loss_fn(p):
        return jnp.mean((_predict(p, x) - y) ** 2)

    grads = jax.grad(loss_fn)(params)
    new = jax.tree_util.tree_map(lambda p, g: p - lr * g, params, grads)
    return jnp.stack([jnp.float32(1.0), loss_fn(new)])


def one_step(seed, x, y, lr):
    x = np.asarray(x, np.float32)
    y = np.asarray(y, np.float32)
    out = _step(_init(np.int32(int(seed)), x.shape[1]), x, y, np.float32(lr))
    return np.asarray(out)
