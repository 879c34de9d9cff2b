"""Assigning a field of a state raises ``AttributeError`` and changes nothing.

Flax's TrainState is a frozen dataclass: ``state.step = 5`` raises
``dataclasses.FrozenInstanceError``, a subclass of ``AttributeError``.  A
mutable state can be changed behind the back of every holder of a reference,
and breaks the value semantics ``jax.jit`` relies on.  The assignment is
tried, and seen to fail, in the implementation's process.
"""

from __future__ import annotations

from hypothesis import strategies as st

from conformance.implementations import Implementation
from conformance.isolation.service import CANONICAL_FIELDS
from conformance.skeleton import train_state_property
from conformance.strategies.train_state_cases import (
    TrainStateCase,
    train_state_cases,
    train_state_pins,
)
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


@train_state_property(
    pins=[
        pin
        for name in CANONICAL_FIELDS
        for pin in train_state_pins((0,), other=True, field=name, new_step=7)
    ],
    updates=False,
    case=train_state_cases(other=True),
    field=st.sampled_from(CANONICAL_FIELDS),
    new_step=st.integers(1, 1000),
)
def test_assigning_a_field_raises_attribute_error(
    impl: Implementation, case: TrainStateCase, field: str, new_step: int
) -> None:
    train_state_class(impl)
    opt, p, name = case.tx, case.params, field
    assert case.other is not None
    ctx = Context(impl, {"tx": opt, "params": p.spec, "field": name})
    value: object = None
    if name == "step":
        value = new_step
    elif name in ("params", "opt_state"):
        # For opt_state: the params its new value is initialised from.
        value = Tree(case.other.tree)
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
