"""Assigning a field of a state raises ``AttributeError`` and changes nothing.

Flax's TrainState is a frozen dataclass: ``state.step = 5`` raises
``dataclasses.FrozenInstanceError``, a subclass of ``AttributeError``.  A
mutable state can be changed behind the back of every holder of a reference,
and breaks the value semantics ``jax.jit`` relies on.  The assignment is
tried, and seen to fail, in the implementation's process.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.implementations import Implementation
from conformance.isolation.service import CANONICAL_FIELDS
from conformance.profiles import suite_settings
from conformance.strategies.optimizers import optimizers
from conformance.strategies.pytrees import params, trees
from conformance.train_state_checks import (
    Context,
    Tree,
    bitwise_difference,
    exception_text,
    observe,
    raised_a,
    train_state_class,
    tree,
)

pytestmark = [pytest.mark.trainstate_train_state, pytest.mark.trainstate_observed]


@suite_settings()
@given(data=st.data())
def test_assigning_a_field_raises_attribute_error(
    impl: Implementation, data: st.DataObject
) -> None:
    train_state_class(impl)
    opt = data.draw(optimizers(), label="tx")
    p = data.draw(params(), label="params")
    name = data.draw(st.sampled_from(CANONICAL_FIELDS), label="field assigned")
    ctx = Context(impl, {"tx": opt, "params": p.spec, "field": name})
    value: object = None
    if name == "step":
        value = data.draw(st.integers(1, 1000), label="new step")
    elif name == "params":
        value = Tree(data.draw(trees(p.spec), label="new params").tree)
    elif name == "opt_state":
        value = Tree(data.draw(trees(p.spec), label="params for new opt_state").tree)
    seen = observe(ctx, "assign_field", tx=opt, params=Tree(p.tree), field=name, value=value)
    outcome = seen["outcome"]
    if "returned" in outcome:
        raise AssertionError(
            f"{impl.name}: assigning state.{name} = ... succeeded: the state must be immutable "
            f"(Flax's frozen dataclass raises dataclasses.FrozenInstanceError, an "
            f"AttributeError) {ctx}"
        )
    if not raised_a(outcome["raised"], "AttributeError"):
        raise AssertionError(
            f"{impl.name}: assigning state.{name} raised {exception_text(outcome['raised'])}, "
            f"expected AttributeError (Flax's frozen dataclass raises "
            f"dataclasses.FrozenInstanceError) {ctx}"
        )
    assert seen["unchanged"] or bitwise_difference(tree(seen["now"]), tree(seen["old"])) is None, (
        f"{impl.name}: the rejected assignment to state.{name} changed it anyway {ctx}"
    )
