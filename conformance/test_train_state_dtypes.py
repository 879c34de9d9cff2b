"""Params keep their dtypes through ``apply_gradients``: float16 and bfloat16 params, and
mixed trees.

Mixed-precision training keeps some params in a low precision while the
gradients come in float32: float16 on GPUs, bfloat16 on TPUs.  Flax's
``apply_gradients`` adds the updates with ``optax.apply_updates``, which casts
each new param back to that param's dtype; adding them with ``p + u``
promotes a low-precision param to float32.  The params drawn here are the
TrainState cases' trees with every leaf float16, every leaf bfloat16, or
every other leaf float16; the gradients stay float32.  Values are judged
against the Optax loop, dtypes included.  Where the values differ while the
dtypes are kept, the same update of float32 params is made: if it differs
too, the Optax-loop property owns that failure and this one is blocked by it.
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
    actual = ts.tree(seen["params"])
    diff = ts.close_difference(actual, want_params[1], p_scale, 1)
    if diff is None:
        return
    want = want_params[1]
    pairs = zip(want.paths, actual.leaves, want.leaves, strict=True)
    changed = [
        f"{path or '<root>'} became {a.array.dtype}, was {e.array.dtype}"
        for path, a, e in (pairs if actual.treedef == want.treedef else ())
        if a.array is not None and e.array is not None and a.array.dtype != e.array.dtype
    ]
    assert not changed, (
        f"{impl.name}: with {dtypes} params and float32 grads, apply_gradients changed the "
        f"params' dtypes ({'; '.join(changed)}); optax.apply_updates keeps each param's dtype "
        f"{ctx}"
    )
    control = _float32_difference(ctx, opt, case.params.tree, g)
    if control is not None:
        raise ts.Blocked(
            f"the same update of the params in float32 already differs from the Optax loop "
            f"({control}), which test_params_and_opt_state_follow_the_optax_loop judges",
            str(ctx),
        )
    raise AssertionError(
        f"{impl.name}: with {dtypes} params and float32 grads, the params after "
        f"apply_gradients differ from optax.apply_updates's, which keeps each param's dtype, "
        f"though the same update of float32 params agrees: {diff} {ctx}"
    )


def _float32_difference(ctx: ts.Context, opt: Any, params: Any, grads: Any) -> str | None:
    """How one update of the float32 ``params`` differs from the Optax loop, if it does."""
    expected = ts.expected_loop(opt, params, [grads])
    p_scale, _ = expected.scales
    want_params, _ = expected.described
    seen = ts.observe(ctx, "trajectory", tx=opt, params=ts.Tree(params), grads=[ts.Tree(grads)])
    return ts.close_difference(ts.tree(seen["after"][0]["params"]), want_params[1], p_scale, 1)
