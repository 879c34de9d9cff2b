"""``apply_gradients`` returns a new state and leaves the old one bit-for-bit unchanged.

After each call the old state's ``step``, ``params`` and ``opt_state`` have the
structure and the same bytes as before, and its ``apply_fn`` and ``tx`` are the
same objects.  The params are drawn with JAX or with writable NumPy leaves: an
update made in place (``p -= lr * g``) writes into NumPy ones, and with them
into the old state and the caller's arrays.  Before and after are seen in the
implementation's process.
"""

from __future__ import annotations

from hypothesis import strategies as st

from conformance.properties import train_state as ts
from conformance.strategies.pytrees import LEAF_KINDS, with_leaf_kind


@ts.property(
    pins=[
        {**pin, "leaves": LEAF_KINDS[i % len(LEAF_KINDS)]} for i, pin in enumerate(ts.pins((1, 3)))
    ],
    case=ts.cases(k=ts.update_counts(max_k=3)),
    leaves=st.sampled_from(LEAF_KINDS),
)
def test_apply_gradients_leaves_the_old_state_unchanged(
    impl: ts.Implementation, case: ts.Case, leaves: str
) -> None:
    opt, p, seq, k = case.tx, case.params, case.grads, case.k
    ctx = ts.Context(impl, {"tx": opt, "params": p.spec, "params leaves": leaves, "k": k})
    params = with_leaf_kind(p.tree, leaves)
    seen = ts.observe(
        ctx, "old_state", tx=opt, params=ts.Tree(params), grads=[ts.Tree(g) for g in seq.trees]
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
