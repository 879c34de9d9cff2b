"""Gradients whose pytree structure differs from ``params`` raise instead of being applied.

Flax's ``apply_gradients`` maps ``tx.update`` and ``optax.apply_updates`` over
``params`` and ``grads`` together, which raises ``ValueError`` (or
``TypeError``) when their structures differ: an extra or missing key, a leaf
where a dict is expected or the other way round, a list for a dict, a ``dict``
for a ``FrozenDict``.  An implementation that zips flattened leaves, or looks
gradients up by key with a default, applies such gradients silently to the
wrong parameters.  Any exception counts as raising; it is seen in the
implementation's process.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.implementations import Implementation
from conformance.profiles import suite_settings
from conformance.strategies.optimizers import optimizers
from conformance.strategies.pytrees import mismatched_grads, params, tree_shapes
from conformance.train_state_checks import Context, Tree, observe, train_state_class

pytestmark = [pytest.mark.trainstate_train_state, pytest.mark.trainstate_observed]


@suite_settings()
@given(data=st.data())
def test_mismatched_grads_structure_raises(impl: Implementation, data: st.DataObject) -> None:
    train_state_class(impl)
    opt = data.draw(optimizers(), label="tx")
    p = data.draw(params(), label="params")
    bad = data.draw(mismatched_grads(p.spec), label="mismatched grads")
    ctx = Context(impl, {"tx": opt, "params": p.spec, "mismatch": bad.description})
    outcome = observe(ctx, "mismatched_grads", tx=opt, params=Tree(p.tree), grads=Tree(bad.tree))[
        "outcome"
    ]
    assert "raised" in outcome, (
        f"{impl.name}: apply_gradients accepted grads whose pytree structure differs from "
        f"params ({bad.description}) and returned {outcome['returned']}; it must raise (Flax "
        f"raises ValueError) instead of applying them: params {tree_shapes(p.tree)}, grads "
        f"{tree_shapes(bad.tree)} {ctx}"
    )
