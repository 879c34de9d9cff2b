"""Gradients whose pytree structure differs from ``params`` raise instead of being applied.

Flax's ``apply_gradients`` maps ``tx.update`` and ``optax.apply_updates`` over
``params`` and ``grads`` together, which raises ``ValueError`` (or
``TypeError``) when their structures differ: an extra, missing or renamed key,
a leaf where a dict is expected or the other way round, a list for a dict, a
``dict`` for a ``FrozenDict``; for params that are a tuple or a list, the other
sequence type with the same elements, or one element fewer or more.  An
implementation that zips flattened leaves, looks gradients up by key with a
default, accepts any sequence of the right length, or relabels gradients whose leaves
line up with the params' (a renamed key, same shapes), applies such gradients
silently to the wrong parameters.  Any exception counts as raising; it is seen in the
implementation's process.
"""

from __future__ import annotations

from conformance.properties import train_state as ts
from conformance.strategies.printing import tree_shapes
from conformance.strategies.tree_specs import param_specs


@ts.property(
    pins=ts.pins((0,), mismatch=True, sequences=True),
    updates=False,
    case=ts.cases(mismatch=True, specs=param_specs(sequences=True)),
)
def test_mismatched_grads_structure_raises(impl: ts.Implementation, case: ts.Case) -> None:
    opt, p, bad = case.tx, case.params, case.mismatch
    assert bad is not None
    ctx = ts.Context(impl, {"tx": opt, "params": p.spec, "mismatch": bad.description})
    outcome = ts.observe(
        ctx, "mismatched_grads", tx=opt, params=ts.Tree(p.tree), grads=ts.Tree(bad.tree)
    )["outcome"]
    assert "raised" in outcome, (
        f"{impl.name}: apply_gradients accepted grads whose pytree structure differs from "
        f"params ({bad.description}) and returned {outcome['returned']}; it must raise (Flax "
        f"raises ValueError) instead of applying them: params {tree_shapes(p.tree)}, grads "
        f"{tree_shapes(bad.tree)} {ctx}"
    )
