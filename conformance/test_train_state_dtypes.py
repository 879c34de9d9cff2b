"""Params keep their dtypes through ``apply_gradients``: float16 and bfloat16 params, and
mixed trees.

Mixed-precision training keeps some params in a low precision while the
gradients come in float32: float16 on GPUs, bfloat16 on TPUs.  Flax's
``apply_gradients`` adds the updates with ``optax.apply_updates``, which casts
each new param back to that param's dtype; adding them with ``p + u``
promotes a low-precision param to float32.  The params drawn here are the
TrainState cases' trees with every leaf float16, every leaf bfloat16, or
every other leaf float16; the gradients are float32, or every one of them in
the low precision (float16, or bfloat16 beside bfloat16 params), as a
low-precision backward pass gives them: Flax hands them to ``tx.update`` as
they come, so a class that casts them to float32 first steps on other values
(a float32 param of a mixed tree shows it most).  Two updates are made,
and params and opt_state are judged against the Optax loop after each, dtypes
included: Optax keeps moments computed from float32 grads in float32, and an
opt_state stored in the params' dtype shows in the params only at the second.
Where the values differ while the dtypes are kept, the same updates of float32
params are made: if they differ too, the Optax-loop property owns that failure
and this one is blocked by it.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import strategies as st

from conformance.properties import train_state as ts
from conformance.properties.plain_update import block_if_the_plain_update_differs, first_difference
from conformance.strategies.train_state_cases import GRADS_DTYPES, LOW_PRECISION_KINDS


def low_precision(tree: Any, kind: str, *, every_leaf: bool = False) -> Any:
    """``tree`` with every leaf float16 or bfloat16 (``kind``), or every other one float16
    (``"mixed"``, unless ``every_leaf``)."""
    leaves, treedef = jax.tree_util.tree_flatten(tree)
    dtype = jnp.bfloat16 if kind == "bfloat16" else jnp.float16
    # Cast by NumPy (ml_dtypes for bfloat16; both round to nearest even, as XLA does), so
    # that building the input compiles no program per leaf shape.
    cast = [
        jax.device_put(np.asarray(leaf).astype(dtype))
        if every_leaf or kind != "mixed" or i % 2 == 0
        else leaf
        for i, leaf in enumerate(leaves)
    ]
    return jax.tree_util.tree_unflatten(treedef, cast)


@ts.property(
    pins=[
        *ts.pins((2,), dtypes="float16", grads_dtype="float32"),
        *ts.pins((2,), dtypes="bfloat16", grads_dtype="float32")[:2],
        *ts.pins((2,), dtypes="mixed", grads_dtype="float32")[:2],
        *ts.pins((2,), dtypes="mixed", grads_dtype="low precision")[:1],
    ],
    case=ts.cases(k=st.just(2)),
    dtypes=st.sampled_from(LOW_PRECISION_KINDS),
    grads_dtype=st.sampled_from(GRADS_DTYPES),
)
def test_params_keep_their_dtypes(
    impl: ts.Implementation, case: ts.Case, dtypes: str, grads_dtype: str
) -> None:
    # Two updates: an opt_state kept in the wrong dtype changes the params only at the second.
    opt, k = case.tx, case.k
    params = low_precision(case.params.tree, dtypes)
    grads = list(case.grads.trees)
    if grads_dtype != "float32":
        grads = [low_precision(g, dtypes, every_leaf=True) for g in grads]
    # The grads' dtype: float32, or the params' low precision (float16 beside mixed params).
    grads_in = "bfloat16" if dtypes == "bfloat16" else "float16"
    if grads_dtype == "float32":
        grads_in = "float32"
    grads_shown = f"{grads_in} grads"
    ctx = ts.Context(
        impl,
        {"tx": opt, "params": f"{case.params.spec} as {dtypes}", "grads": grads_shown, "k": k},
    )
    expected = ts.expected_loop(opt, params, grads)
    seen = ts.observe(
        ctx,
        "low_precision_update",
        tx=opt,
        params=ts.Tree(params),
        grads=[ts.Tree(g) for g in grads],
    )
    found = first_difference(seen["after"], expected, grads_in)
    if found is None:
        return
    i, field, actual, wanted, diff = found
    pairs = zip(wanted.paths, actual.leaves, wanted.leaves, strict=True)
    changed = [
        f"{path or '<root>'} became {a.array.dtype}, was {e.array.dtype}"
        for path, a, e in (pairs if actual.treedef == wanted.treedef else ())
        if a.array is not None and e.array is not None and a.array.dtype != e.array.dtype
    ]
    assert not changed, (
        f"{impl.name}: with {dtypes} params and {grads_shown}, {field} after {i} of "
        f"{k} apply_gradients(grads=...) call(s) changed dtypes ({'; '.join(changed)}); "
        f"optax.apply_updates keeps each param's dtype, and the opt_state is the one "
        f"tx.update returns, in its own dtypes {ctx}"
    )
    block_if_the_plain_update_differs(
        ctx, opt, case.params.tree, case.grads.trees, "of the params in float32 by float32 grads"
    )
    raise AssertionError(
        f"{impl.name}: with {dtypes} params and {grads_shown}, {field} after {i} of "
        f"{k} apply_gradients(grads=...) call(s) differ from the Optax loop's (tx.update "
        f"+ optax.apply_updates, which keeps each param's dtype), though the same "
        f"updates of float32 params by float32 grads agree: {diff} {ctx}"
    )
