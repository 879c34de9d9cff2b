"""Any Flax or JAX implementation's matmuls as a GPU or TPU computes them, on the CPU.

At JAX's default precision an Ampere GPU reads both inputs of a float32 matmul
as TF32 (10 explicit mantissa bits) and a TPU as bfloat16 (7), each rounded
to nearest, and accumulates in float32.  :func:`emulate` makes
``jax.lax.dot_general``, which Linen's ``nn.Dense`` and ``nnx.Linear`` call
(in the forward pass and, through JAX's transpose rules, in the gradient),
compute so: every input of every matmul of the step is rounded, the
gradient's included, as on the device.  ``tools/kill_matrix.py --emulate``
wraps each bundled implementation in a module that calls it before the
implementation is imported, so that the mutants are judged as they would be
on that device.  Code that multiplies with ``jnp.matmul`` or NumPy is left
as it is: it computes in float32, which the declared precision's bound also
covers.
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp

MANTISSA_BITS = {"tensorfloat32": 10, "bfloat16": 7}
"""Explicit mantissa bits of a matmul's inputs at each precision."""


def rounded(a: jax.Array, bits: int) -> jax.Array:
    """``a`` as float32, rounded to nearest (ties to even) at ``bits`` mantissa bits."""
    drop = 23 - bits
    raw = jax.lax.bitcast_convert_type(jnp.asarray(a, jnp.float32), jnp.uint32)
    odd = (raw >> drop) & 1
    raw = (raw + jnp.uint32((1 << (drop - 1)) - 1) + odd) & jnp.uint32(
        0xFFFFFFFF ^ ((1 << drop) - 1)
    )
    return jax.lax.bitcast_convert_type(raw, jnp.float32)


def emulate(precision: str) -> None:
    """Make ``jax.lax.dot_general`` round every float32 input as ``precision`` does."""
    bits = MANTISSA_BITS[precision]
    exact = jax.lax.dot_general

    def full(lhs: jax.Array, rhs: jax.Array, dims: Any) -> jax.Array:
        return exact(lhs, rhs, dims, precision=jax.lax.Precision.HIGHEST)

    @functools.partial(jax.custom_vjp, nondiff_argnums=(2,))
    def device_dot(lhs: jax.Array, rhs: jax.Array, dims: Any) -> jax.Array:
        return full(rounded(lhs, bits), rounded(rhs, bits), dims)

    def forward(lhs: jax.Array, rhs: jax.Array, dims: Any) -> tuple[jax.Array, Any]:
        return device_dot(lhs, rhs, dims), (lhs, rhs)

    def backward(dims: Any, saved: Any, cotangent: jax.Array) -> tuple[jax.Array, jax.Array]:
        # The gradient's matmuls run on the device too: their inputs are rounded as well.
        lhs, rhs = saved
        _, pull = jax.vjp(lambda a, b: full(a, b, dims), rounded(lhs, bits), rounded(rhs, bits))
        return pull(rounded(cotangent, bits))

    device_dot.defvjp(forward, backward)

    def dot_general(
        lhs: Any, rhs: Any, dimension_numbers: Any, precision: Any = None, **kwargs: Any
    ) -> jax.Array:
        if jnp.result_type(lhs, rhs) != jnp.float32 or kwargs.get("preferred_element_type"):
            return exact(lhs, rhs, dimension_numbers, precision=precision, **kwargs)
        return device_dot(lhs, rhs, _hashable(dimension_numbers))

    jax.lax.dot_general = dot_general


def _hashable(dims: Any) -> Any:
    """``dimension_numbers`` as nested tuples (a ``nondiff_argnums`` argument is hashed)."""
    if isinstance(dims, list | tuple):
        return tuple(_hashable(d) for d in dims)
    return dims
