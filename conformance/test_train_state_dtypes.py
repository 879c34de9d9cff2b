"""Params keep their dtypes through ``apply_gradients``: float16 and bfloat16 params, and
mixed trees.

Mixed-precision training keeps some params in a low precision while the
gradients come in float32: float16 on GPUs, bfloat16 on TPUs.  Flax's
``apply_gradients`` adds the updates with ``optax.apply_updates``, which casts
each new param back to that param's dtype; adding them with ``p + u``
promotes a low-precision param to float32.  The params drawn here are the
TrainState cases' trees with every leaf float16, every leaf bfloat16, or
every other leaf float16; the gradients stay float32.  Values are judged
against the Optax loop, dtypes included.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import strategies as st

from conformance.properties import train_state as ts
from conformance.strategies.train_state_cases import LOW_PRECISION_KINDS


def low_precision(tree: Any, kind: str) -> Any:
    """``tree`` with every leaf float16 or bfloat16 (``kind``), or every other one float16
    (``"mixed"``)."""
    leaves, treedef = jax.tree_util.tree_flatten(tree)
    dtype = jnp.bfloat16 if kind == "bfloat16" else jnp.float16
    # Cast by NumPy (ml_dtypes for bfloat16; both round to nearest even, as XLA does), so
    # that building the input compiles no program per leaf shape.
    cast = [
        jax.device_put(np.asarray(leaf).astype(dtype)) if kind != "mixed" or i % 2 == 0 else leaf
        for i, leaf in enumerate(leaves)
    ]
    return jax.tree_util.tree_unflatten(treedef, cast)


@ts.property(
    pins=[
        *ts.pins((1,), dtypes="float16"),
        *ts.pins((1,), dtypes="bfloat16")[:2],
        *ts.pins((1,), dtypes="mixed")[:2],
    ],
    case=ts.cases(k=st.just(1)),
    dtypes=st.sampled_from(LOW_PRECISION_KINDS),
)
def test_params_keep_their_dtypes(impl: ts.Implementation, case: ts.Case, dtypes: str) -> None:
    opt, (g,) = case.tx, case.grads.trees
    params = low_precision(case.params.tree, dtypes)
    ctx = ts.Context(impl, {"tx": opt, "params": f"{case.params.spec} as {dtypes}"})
    expected = ts.expected_loop(opt, params, [g])
    p_scale, _ = expected.scales
    want_params, _ = expected.described
    seen = ts.observe(ctx, "low_precision_update", tx=opt, params=ts.Tree(params), grads=ts.Tree(g))
    diff = ts.close_difference(ts.tree(seen["params"]), want_params[1], p_scale, 1)
    assert diff is None, (
        f"{impl.name}: with {dtypes} params and float32 grads, the params after "
        f"apply_gradients differ from optax.apply_updates's, which keeps each param's dtype: "
        f"{diff} {ctx}"
    )
