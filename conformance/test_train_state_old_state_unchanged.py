"""``apply_gradients`` returns a new state and leaves the old one bit-for-bit unchanged.

States are values: code keeps old states around (for logging, for a rollback,
inside ``jax.lax.scan`` carries) and must find them as they were.  After each
call the old state's ``step``, ``params`` and ``opt_state`` have the same
structure and the same bytes as before, and its ``apply_fn`` and ``tx`` are the
same objects.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.implementations import Implementation
from conformance.profiles import suite_settings
from conformance.train_state_checks import (
    PYTREE_FIELDS,
    STATIC_FIELDS,
    Context,
    apply_gradients,
    bitwise_difference,
    create,
    get_field,
    snapshot,
    train_state_class,
)
from strategies.optimizers import optimizers, update_counts
from strategies.pytrees import grad_sequences, params

pytestmark = pytest.mark.train_state


@suite_settings()
@given(data=st.data())
def test_apply_gradients_leaves_the_old_state_unchanged(
    impl: Implementation, data: st.DataObject
) -> None:
    cls = train_state_class(impl)
    opt = data.draw(optimizers(), label="tx")
    p = data.draw(params(), label="params")
    k = data.draw(update_counts(max_k=3), label="k (apply_gradients calls)")
    seq = data.draw(grad_sequences(p.spec, k), label="grads (one tree per call)")
    ctx = Context(impl, {"tx": opt, "params": p.spec, "k": k})

    state = create(ctx, cls, params=p.tree, tx=opt.tx)
    for i, g in enumerate(seq.trees, start=1):
        before = {name: snapshot(get_field(ctx, state, name)) for name in PYTREE_FIELDS}
        statics = {name: get_field(ctx, state, name) for name in STATIC_FIELDS}
        new = apply_gradients(ctx, state, g, call=i)
        assert new is not state, (
            f"{impl.name}: apply_gradients call {i} returned the state it was called on "
            f"(self), expected a new state: the old one must stay as it was {ctx}"
        )
        for name in PYTREE_FIELDS:
            diff = bitwise_difference(getattr(state, name), before[name])
            assert diff is None, (
                f"{impl.name}: apply_gradients call {i} changed the old state's {name}: {diff}; "
                f"it must return a new state and leave the old one bit-for-bit unchanged {ctx}"
            )
        for name, value in statics.items():
            assert getattr(state, name) is value, (
                f"{impl.name}: apply_gradients call {i} replaced the old state's {name}; it "
                f"must leave the old state unchanged {ctx}"
            )
        state = new
