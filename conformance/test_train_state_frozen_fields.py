"""Assigning a field of a state raises ``AttributeError`` and changes nothing.

Flax's TrainState is a frozen dataclass: ``state.step = 5`` raises
``dataclasses.FrozenInstanceError``, a subclass of ``AttributeError``.  A
mutable state can be changed behind the back of every holder of a reference,
and breaks the value semantics ``jax.jit`` relies on.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.implementations import Implementation
from conformance.profiles import suite_settings
from conformance.train_state_checks import (
    CANONICAL_FIELDS,
    Context,
    apply_fn_b,
    bitwise_difference,
    create,
    get_field,
    raised,
    snapshot,
    train_state_class,
)
from strategies.optimizers import optimizers
from strategies.pytrees import params, trees

pytestmark = pytest.mark.train_state


@suite_settings()
@given(data=st.data())
def test_assigning_a_field_raises_attribute_error(
    impl: Implementation, data: st.DataObject
) -> None:
    cls = train_state_class(impl)
    opt = data.draw(optimizers(), label="tx")
    p = data.draw(params(), label="params")
    name = data.draw(st.sampled_from(CANONICAL_FIELDS), label="field assigned")
    ctx = Context(impl, {"tx": opt, "params": p.spec, "field": name})
    state = create(ctx, cls, params=p.tree, tx=opt.tx)
    if name == "step":
        value = data.draw(st.integers(1, 1000), label="new step")
    elif name == "params":
        value = data.draw(trees(p.spec), label="new params").tree
    elif name == "opt_state":
        value = opt.tx.init(data.draw(trees(p.spec), label="params for new opt_state").tree)
    elif name == "apply_fn":
        value = apply_fn_b
    else:
        value = opt.fresh_tx()
    old = get_field(ctx, state, name)
    old_snapshot = snapshot(old)
    try:
        setattr(state, name, value)
    except AttributeError:
        pass
    except Exception as exc:
        raise AssertionError(
            f"{impl.name}: assigning state.{name} raised {raised(exc)}, expected AttributeError "
            f"(Flax's frozen dataclass raises dataclasses.FrozenInstanceError) {ctx}"
        ) from exc
    else:
        raise AssertionError(
            f"{impl.name}: assigning state.{name} = ... succeeded: the state must be immutable "
            f"(Flax's frozen dataclass raises dataclasses.FrozenInstanceError, an "
            f"AttributeError) {ctx}"
        )
    now = getattr(state, name)
    assert now is old or bitwise_difference(now, old_snapshot) is None, (
        f"{impl.name}: the rejected assignment to state.{name} changed it anyway {ctx}"
    )
