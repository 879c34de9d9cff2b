"""``TrainState.create(*, apply_fn, params, tx)``: step 0, inputs kept, ``tx.init(params)``.

The new state is an instance of the class ``create`` was called on, its ``step``
is the integer 0, its ``params`` are the params passed (same container, structure
and bytes), its ``opt_state`` is ``tx.init(params)``, and ``apply_fn`` and ``tx``
are the objects passed.  The params passed are not modified.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.implementations import Implementation
from conformance.profiles import suite_settings
from conformance.train_state_checks import (
    Context,
    apply_fn_a,
    bitwise_difference,
    check_step,
    create,
    get_field,
    snapshot,
    train_state_class,
    type_name,
)
from strategies.optimizers import optimizers
from strategies.pytrees import params

pytestmark = pytest.mark.train_state


@suite_settings()
@given(data=st.data())
def test_create_starts_at_step_zero_and_keeps_its_inputs(
    impl: Implementation, data: st.DataObject
) -> None:
    cls = train_state_class(impl)
    opt = data.draw(optimizers(), label="tx")
    p = data.draw(params(), label="params")
    ctx = Context(impl, {"tx": opt, "params": p.spec})
    tx = opt.tx
    before = snapshot(p.tree)
    expected_opt_state = tx.init(p.tree)

    state = create(ctx, cls, params=p.tree, tx=tx)

    assert type(state) is cls, (
        f"{impl.name}: TrainState.create returned a {type_name(type(state))}, expected an "
        f"instance of the class it was called on ({type_name(cls)}) {ctx}"
    )
    check_step(ctx, state, 0, "right after create")
    diff = bitwise_difference(get_field(ctx, state, "params"), before)
    assert diff is None, (
        f"{impl.name}: create did not keep params as given: {diff} (Flax stores the params "
        f"object itself; the container type, structure and values must be unchanged) {ctx}"
    )
    diff = bitwise_difference(get_field(ctx, state, "opt_state"), expected_opt_state)
    assert diff is None, f"{impl.name}: opt_state after create is not tx.init(params): {diff} {ctx}"
    assert get_field(ctx, state, "apply_fn") is apply_fn_a, (
        f"{impl.name}: create did not keep apply_fn: state.apply_fn is "
        f"{state.apply_fn!r:.80}, not the function passed {ctx}"
    )
    assert get_field(ctx, state, "tx") is tx, (
        f"{impl.name}: create did not keep tx: state.tx is {state.tx!r:.80}, not the "
        f"GradientTransformation passed {ctx}"
    )
    diff = bitwise_difference(p.tree, before)
    assert diff is None, f"{impl.name}: create modified the params passed to it: {diff} {ctx}"
