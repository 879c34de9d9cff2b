"""The step counter: 0 after ``create``, ``i`` after ``i`` calls of ``apply_gradients``, integral.

Each call must return a new state of the same type whose ``step`` is the old
one plus 1, an integer (a Python int eagerly in Flax; never a float, a bool or
an array of shape other than ``()``).  The counts are judged here; the type
of each returned state is seen in the implementation's process.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.implementations import Implementation
from conformance.profiles import suite_settings
from conformance.strategies.optimizers import optimizers, update_counts
from conformance.strategies.pytrees import grad_sequences, params
from conformance.train_state_checks import (
    Context,
    Tree,
    check_step,
    leaf,
    observe,
    train_state_class,
)

pytestmark = [pytest.mark.trainstate_train_state, pytest.mark.trainstate_observed]


@suite_settings()
@given(data=st.data())
def test_step_counts_apply_gradients_calls(impl: Implementation, data: st.DataObject) -> None:
    train_state_class(impl)
    opt = data.draw(optimizers(), label="tx")
    p = data.draw(params(), label="params")
    k = data.draw(update_counts(), label="k (apply_gradients calls)")
    seq = data.draw(grad_sequences(p.spec, k), label="grads (one tree per call)")
    ctx = Context(impl, {"tx": opt, "params": p.spec, "k": k})
    seen = observe(
        ctx, "step_count", tx=opt, params=Tree(p.tree), grads=[Tree(g) for g in seq.trees]
    )
    check_step(ctx, leaf(seen["start"]), 0, "right after create")
    for i, call in enumerate(seen["calls"], start=1):
        assert call["same_type"], (
            f"{impl.name}: apply_gradients call {i} returned a {call['type']}, expected a new "
            f"{call['called_on']} (the type it was called on) {ctx}"
        )
        check_step(ctx, leaf(call["step"]), i, f"after {i} apply_gradients call(s)")
