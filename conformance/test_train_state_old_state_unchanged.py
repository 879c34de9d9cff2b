"""``apply_gradients`` returns a new state and leaves the old one bit-for-bit unchanged.

After each call the old state's ``step``, ``params`` and ``opt_state`` have the
structure and the same bytes as before, and its ``apply_fn`` and ``tx`` are the
same objects.  Before and after are seen in the implementation's process.
"""

from __future__ import annotations

from conformance.properties import train_state as ts


@ts.property(pins=ts.pins((1, 3)), case=ts.cases(k=ts.update_counts(max_k=3)))
def test_apply_gradients_leaves_the_old_state_unchanged(
    impl: ts.Implementation, case: ts.Case
) -> None:
    opt, p, seq, k = case.tx, case.params, case.grads, case.k
    ctx = ts.Context(impl, {"tx": opt, "params": p.spec, "k": k})
    seen = ts.observe(
        ctx, "old_state", tx=opt, params=ts.Tree(p.tree), grads=[ts.Tree(g) for g in seq.trees]
    )
    for i, call in enumerate(seen["calls"], start=1):
        assert not call["same_object"], (
            f"{impl.name}: apply_gradients call {i} returned the state it was called on "
            f"(self), expected a new state: the old one must stay as it was {ctx}"
        )
        # The messages are made at once, inside this iteration: binding i late is no risk.
        ts.check_unchanged(
            ctx,
            call["before"],
            call["after"],
            lambda name, diff: (
                f"apply_gradients call {i} changed the old state's {name}: "  # noqa: B023
                f"{diff}; it must return a new state and leave the old one bit-for-bit unchanged"
            ),
        )
        ts.check_each(
            ctx,
            call["statics_kept"],
            lambda name: (
                f"apply_gradients call {i} replaced the old state's {name}; it must "  # noqa: B023
                "leave the old state unchanged"
            ),
        )
