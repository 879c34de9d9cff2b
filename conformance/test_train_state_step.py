"""The step counter: 0 after ``create``, ``i`` after ``i`` calls of ``apply_gradients``, integral.

Each call must return a new state of the same type whose ``step`` is the old
one plus 1, an integer (a Python int eagerly in Flax; never a float, a bool or
an array of shape other than ``()``).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.implementations import Implementation
from conformance.profiles import suite_settings
from conformance.train_state_checks import (
    Context,
    apply_gradients,
    check_step,
    create,
    train_state_class,
    type_name,
)
from strategies.optimizers import optimizers, update_counts
from strategies.pytrees import grad_sequences, params

pytestmark = pytest.mark.train_state


@suite_settings()
@given(data=st.data())
def test_step_counts_apply_gradients_calls(impl: Implementation, data: st.DataObject) -> None:
    cls = train_state_class(impl)
    opt = data.draw(optimizers(), label="tx")
    p = data.draw(params(), label="params")
    k = data.draw(update_counts(), label="k (apply_gradients calls)")
    seq = data.draw(grad_sequences(p.spec, k), label="grads (one tree per call)")
    ctx = Context(impl, {"tx": opt, "params": p.spec, "k": k})

    state = create(ctx, cls, params=p.tree, tx=opt.tx)
    check_step(ctx, state, 0, "right after create")
    for i, g in enumerate(seq.trees, start=1):
        new = apply_gradients(ctx, state, g, call=i)
        assert type(new) is type(state), (
            f"{impl.name}: apply_gradients call {i} returned a {type_name(type(new))}, "
            f"expected a new {type_name(type(state))} (the type it was called on) {ctx}"
        )
        check_step(ctx, new, i, f"after {i} apply_gradients call(s)")
        state = new
