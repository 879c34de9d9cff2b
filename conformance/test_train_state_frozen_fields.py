"""Assigning a field of a state raises ``AttributeError`` and changes nothing.

Flax's TrainState is a frozen dataclass: ``state.step = 5`` raises
``dataclasses.FrozenInstanceError``, a subclass of ``AttributeError``.  A
mutable state can be changed behind the back of every holder of a reference,
and breaks the value semantics ``jax.jit`` relies on.  The assignment is
tried, and seen to fail, in the implementation's process.
"""

from __future__ import annotations

from hypothesis import strategies as st

from conformance.properties import train_state as ts


@ts.property(
    pins=[
        pin
        for name in ts.CANONICAL_FIELDS
        for pin in ts.pins((0,), other=True, field=name, new_step=7)
    ],
    updates=False,
    case=ts.cases(other=True),
    field=st.sampled_from(ts.CANONICAL_FIELDS),
    new_step=st.integers(1, 1000),
)
def test_assigning_a_field_raises_attribute_error(
    impl: ts.Implementation, case: ts.Case, field: str, new_step: int
) -> None:
    opt, p, name = case.tx, case.params, field
    assert case.other is not None
    ctx = ts.Context(impl, {"tx": opt, "params": p.spec, "field": name})
    value: object = None
    if name == "step":
        value = new_step
    elif name in ("params", "opt_state"):
        # For opt_state: the params its new value is initialised from.
        value = ts.Tree(case.other.tree)
    seen = ts.observe(ctx, "assign_field", tx=opt, params=ts.Tree(p.tree), field=name, value=value)
    ts.check_raised(
        ctx,
        seen["outcome"],
        "AttributeError",
        f"assigning state.{name} = ...",
        "the state must be immutable (Flax's frozen dataclass raises "
        "dataclasses.FrozenInstanceError, an AttributeError)",
    )
    assert (
        seen["unchanged"]
        or ts.bitwise_difference(ts.tree(seen["now"]), ts.tree(seen["old"])) is None
    ), f"{impl.name}: the rejected assignment to state.{name} changed it anyway {ctx}"
