"""The step counter: ``i`` more after ``i`` calls of ``apply_gradients``, integral.

Each call must return a new state of the same type whose ``step`` is the old
one plus 1, an integer (a Python int eagerly in Flax; never a float, a bool or
an array of shape other than ``()``), whatever the gradients hold: with a NaN
or an inf among them (a diverging run) Flax still applies the update and
counts it, where a class that skips such updates returns the old step; under
``optax.MultiSteps`` too, whose own counters count real updates.  It
counts from the step ``create`` gave, so that a class starting at 1, or with
a counter of another type from ``create`` on, fails once, in the create
property (which owns the step ``create`` gives), not here too.  The counts
are judged here; the type of each returned state is seen in the
implementation's process.
"""

from __future__ import annotations

from hypothesis import strategies as st

from conformance.properties import train_state as ts
from conformance.strategies.optax_catalogue import OptimizerCase
from conformance.strategies.pytrees import NON_FINITE_GRADS, non_finite_text, with_non_finite

MULTI_STEPS = OptimizerCase.of("optax.MultiSteps(optax.sgd(learning_rate=0.1), every_k_schedule=2)")
"""Gradient accumulation: opt_state counts its own steps (one real update in two), and
``step`` still counts every ``apply_gradients`` call."""


@ts.property(
    # Each edge with each kind of first gradients, in turn.
    pins=[
        {**pin, "non_finite": NON_FINITE_GRADS[i % len(NON_FINITE_GRADS)]}
        for i, pin in enumerate(ts.pins(optimizers=(MULTI_STEPS,)))
    ],
    case=ts.cases(k=ts.update_counts()),
    non_finite=st.sampled_from(NON_FINITE_GRADS),
)
def test_step_counts_apply_gradients_calls(
    impl: ts.Implementation, case: ts.Case, non_finite: str
) -> None:
    opt, p, seq, k = case.tx, case.params, case.grads, case.k
    described = {"tx": opt, "params": p.spec, "k": k}
    if non_finite != "finite":
        described["grads"] = f"call 1's with {non_finite_text(non_finite)} as its first value"
    ctx = ts.Context(impl, described)
    grads = [with_non_finite(seq.trees[0], non_finite), *seq.trees[1:]]
    seen = ts.observe(
        ctx, "step_count", tx=opt, params=ts.Tree(p.tree), grads=[ts.Tree(g) for g in grads]
    )
    # Counted from create's step, whose value and type the create property owns: a counter
    # of the wrong type from create fails there, one that apply_gradients makes so fails here.
    start = ts.counted_from(ts.leaf(seen["start"]))
    integral = ts.is_integral(ts.leaf(seen["start"]))
    for i, call in enumerate(seen["calls"], start=1):
        assert call["same_type"], (
            f"{impl.name}: apply_gradients call {i} returned a {call['type']}, expected a new "
            f"{call['called_on']} (the type it was called on) {ctx}"
        )
        ts.check_step(
            ctx,
            ts.leaf(call["step"]),
            start + i,
            f"after {i} apply_gradients call(s) from step {start}",
            integral=integral,
        )
