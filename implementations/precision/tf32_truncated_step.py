"""The canonical step with TF32 matmuls whose inputs are truncated, not rounded.

A GPU's tensor cores handed float32 operands of a TF32 matmul drop their low
13 mantissa bits (Triton, which XLA uses for GPU matmuls, does not round them
first), so an input errs by up to 2**-10 of its value, twice what rounding to
nearest gives.  This is the closed-form step (``nn.Dense(1)``'s Linen init,
the MSE gradient, one SGD update) with every matmul's inputs cut so, the rest
in float32.  It is correct code on such a GPU: it must conform under
``--trainstate-matmul-precision tensorfloat32``, and it fails under ``float32``.
"""

import hashlib

import jax
import jax.numpy as jnp
import numpy as np

MANTISSA_BITS = 10
_PARAMS_FOLD = int.from_bytes(hashlib.sha1(b"\x01").digest()[:4], "big")
_TRUNC_NORMAL_STD = 0.87962566103423978


def truncated(a: jax.Array) -> jax.Array:
    """``a`` (float32) with all but ``MANTISSA_BITS`` mantissa bits dropped (toward zero)."""
    drop = 23 - MANTISSA_BITS
    kept = jax.lax.bitcast_convert_type(a, jnp.uint32) & jnp.uint32(0xFFFFFFFF ^ ((1 << drop) - 1))
    return jax.lax.bitcast_convert_type(kept, jnp.float32)


def matmul(a: jax.Array, b: jax.Array) -> jax.Array:
    return jnp.matmul(truncated(a), truncated(b), precision=jax.lax.Precision.HIGHEST)


@jax.jit
def _step(seed: jax.Array, x: jax.Array, y: jax.Array, lr: jax.Array) -> jax.Array:
    n, d = x.shape
    key = jax.random.fold_in(jax.random.PRNGKey(seed), _PARAMS_FOLD)
    stddev = jnp.sqrt(jnp.array(1.0 / d, jnp.float32)) / jnp.array(_TRUNC_NORMAL_STD, jnp.float32)
    w0 = jax.random.truncated_normal(key, -2.0, 2.0, (d, 1), jnp.float32) * stddev
    r0 = matmul(x, w0).reshape(-1) - y
    grad_w = (2.0 / n) * matmul(x.T, r0[:, None])
    grad_b = (2.0 / n) * jnp.sum(r0)
    w1 = w0 - lr * grad_w
    b1 = -lr * grad_b
    r1 = matmul(x, w1).reshape(-1) + b1 - y
    return jnp.stack([jnp.float32(1.0), jnp.mean(r1**2)])


def one_step(seed, x, y, lr) -> jax.Array:
    return _step(
        np.int32(int(seed)), np.asarray(x, np.float32), np.asarray(y, np.float32), np.float32(lr)
    )
