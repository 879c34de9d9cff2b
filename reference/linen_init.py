"""``nn.Dense(1).init(PRNGKey(seed), x)`` rebuilt from ``jax.random`` alone.

Linen derives the kernel's key by folding the first four bytes of
``sha1(b"\\x01")`` (the hash of the 'params' stream's first use) into the
root key, and draws ``lecun_normal``: a (-2, 2)-truncated normal scaled by
``sqrt(1/D) / 0.8796...``, both constants float32.  The bias is zero.  The
result depends on ``(seed, D)`` only, which is why it is cached on that pair.
:mod:`tests.test_reference` proves it bit-identical to Flax's.
"""

from __future__ import annotations

import functools
import hashlib

import jax
import jax.numpy as jnp
import numpy as np

_PARAMS_STREAM_FOLD = int.from_bytes(hashlib.sha1(b"\x01").digest()[:4], "big")
# Standard deviation of a standard normal truncated to (-2, 2).
_TRUNCATED_NORMAL_STDDEV = 0.87962566103423978


@functools.partial(jax.jit, static_argnums=1)
def _kernel(seed: jax.Array, d: int) -> jax.Array:
    key = jax.random.fold_in(jax.random.PRNGKey(seed), _PARAMS_STREAM_FOLD)
    stddev = jnp.sqrt(jnp.array(1.0 / d, jnp.float32)) / jnp.array(
        _TRUNCATED_NORMAL_STDDEV, jnp.float32
    )
    return jax.random.truncated_normal(key, -2.0, 2.0, (d, 1), jnp.float32) * stddev


@functools.lru_cache(maxsize=4096)
def dense_kernel(seed: int, d: int) -> np.ndarray:
    """The float32 ``(d, 1)`` kernel of ``nn.Dense(1)`` initialised with ``PRNGKey(seed)``.

    The returned array is read-only because it is shared through the cache.
    """
    kernel = np.asarray(_kernel(np.int32(seed), d))
    kernel.flags.writeable = False
    return kernel
