"""``apply_gradients`` returns a new state and leaves the old one bit-for-bit unchanged.

After each call the old state's ``step``, ``params`` and ``opt_state`` have the
structure and the same bytes as before, and its ``apply_fn`` and ``tx`` are the
same objects.  Before and after are seen in the implementation's process.
"""

from __future__ import annotations

from conformance.implementations import Implementation
from conformance.isolation.train_state_scenarios import PYTREE_FIELDS
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
    bitwise_difference,
    observe,
    train_state_class,
    tree,
)


@train_state_property(
    pins=train_state_pins((1, 3)), case=train_state_cases(k=update_counts(max_k=3))
)
def test_apply_gradients_leaves_the_old_state_unchanged(
    impl: Implementation, case: TrainStateCase
) -> None:
    train_state_class(impl)
    opt, p, seq, k = case.tx, case.params, case.grads, case.k
    ctx = Context(impl, {"tx": opt, "params": p.spec, "k": k})
    seen = observe(
        ctx, "old_state", tx=opt, params=Tree(p.tree), grads=[Tree(g) for g in seq.trees]
    )
    for i, call in enumerate(seen["calls"], start=1):
        assert not call["same_object"], (
            f"{impl.name}: apply_gradients call {i} returned the state it was called on "
            f"(self), expected a new state: the old one must stay as it was {ctx}"
        )
        for name in PYTREE_FIELDS:
            diff = bitwise_difference(tree(call["after"][name]), tree(call["before"][name]))
            assert diff is None, (
                f"{impl.name}: apply_gradients call {i} changed the old state's {name}: {diff}; "
                f"it must return a new state and leave the old one bit-for-bit unchanged {ctx}"
            )
        for name, kept in call["statics_kept"].items():
            assert kept, (
                f"{impl.name}: apply_gradients call {i} replaced the old state's {name}; it "
                f"must leave the old state unchanged {ctx}"
            )
