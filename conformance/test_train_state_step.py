"""The step counter: 0 after ``create``, ``i`` after ``i`` calls of ``apply_gradients``, integral.

Each call must return a new state of the same type whose ``step`` is the old
one plus 1, an integer (a Python int eagerly in Flax; never a float, a bool or
an array of shape other than ``()``).  The counts are judged here; the type
of each returned state is seen in the implementation's process.
"""

from __future__ import annotations

from conformance.implementations import Implementation
from conformance.skeleton import train_state_property
from conformance.strategies.optimizers import update_counts
from conformance.strategies.train_state_cases import (
    TrainStateCase,
    train_state_cases,
    train_state_pins,
)
from conformance.train_state_checks import (
    Context,
    Tree,
    check_step,
    leaf,
    observe,
    train_state_class,
)


@train_state_property(pins=train_state_pins(), case=train_state_cases(k=update_counts()))
def test_step_counts_apply_gradients_calls(impl: Implementation, case: TrainStateCase) -> None:
    train_state_class(impl)
    opt, p, seq, k = case.tx, case.params, case.grads, case.k
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
