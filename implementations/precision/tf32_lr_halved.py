"""Mutant, in TF32: the step of ``tf32_step.py`` with half the learning rate.

Bug: ``w1 = w0 - (lr / 2) * grad_w`` (and the bias likewise), computed with
TF32 matmuls as on a GPU.  It must still fail under
``--trainstate-matmul-precision tensorfloat32``: the wider tolerance is no
cover for a wrong step.
"""

import hashlib

import jax
import jax.numpy as jnp
import numpy as np

MANTISSA_BITS = 10
_PARAMS_FOLD = int.from_bytes(hashlib.sha1(b"\x01").digest()[:4], "big")
_TRUNC_NORMAL_STD = 0.87962566103423978


def rounded(a: jax.Array) -> jax.Array:
    """``a`` (float32) rounded to nearest, ties to even, at ``MANTISSA_BITS`` mantissa bits."""
    drop = 23 - MANTISSA_BITS
    bits = jax.lax.bitcast_convert_type(a, jnp.uint32)
    odd = (bits >> drop) & 1
    bits = (bits + jnp.uint32((1 << (drop - 1)) - 1) + odd) & jnp.uint32(
        0xFFFFFFFF ^ ((1 << drop) - 1)
    )
    return jax.lax.bitcast_convert_type(bits, jnp.float32)


def matmul(a: jax.Array, b: jax.Array) -> jax.Array:
    return jnp.matmul(rounded(a), rounded(b), precision=jax.lax.Precision.HIGHEST)


@jax.jit
def _step(seed: jax.Array, x: jax.Array, y: jax.Array, lr: jax.Array) -> jax.Array:
    n, d = x.shape
    key = jax.random.fold_in(jax.random.PRNGKey(seed), _PARAMS_FOLD)
    stddev = jnp.sqrt(jnp.array(1.0 / d, jnp.float32)) / jnp.array(_TRUNC_NORMAL_STD, jnp.float32)
    w0 = jax.random.truncated_normal(key, -2.0, 2.0, (d, 1), jnp.float32) * stddev
    r0 = matmul(x, w0).reshape(-1) - y
    grad_w = (2.0 / n) * matmul(x.T, r0[:, None])
    grad_b = (2.0 / n) * jnp.sum(r0)
    w1 = w0 - (lr / 2) * grad_w
    b1 = -(lr / 2) * grad_b
    r1 = matmul(x, w1).reshape(-1) + b1 - y
    return jnp.stack([jnp.float32(1.0), jnp.mean(r1**2)])


def one_step(seed, x, y, lr) -> jax.Array:
    return _step(
        np.int32(int(seed)), np.asarray(x, np.float32), np.asarray(y, np.float32), np.float32(lr)
    )
