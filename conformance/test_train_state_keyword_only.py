"""``apply_gradients(*, grads)`` and ``create(*, apply_fn, params, tx)`` are keyword-only.

Flax declares both with a bare ``*``; a positional call raises ``TypeError``.
A class that accepts ``state.apply_gradients(g)`` invites code that passes
the wrong tree in the wrong slot and will break on Flax's class.  Whether a
call raised is seen in the implementation's process.
"""

from __future__ import annotations

from hypothesis import strategies as st

from conformance.implementations import Implementation
from conformance.isolation.train_state_scenarios import PYTREE_FIELDS
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
    pins=train_state_pins((1,)), updates=False, case=train_state_cases(k=st.just(1))
)
def test_positional_grads_raise_type_error(impl: Implementation, case: TrainStateCase) -> None:
    train_state_class(impl)
    opt, p, (g,) = case.tx, case.params, case.grads.trees
    ctx = Context(impl, {"tx": opt, "params": p.spec})
    seen = observe(ctx, "positional_grads", tx=opt, params=Tree(p.tree), grads=Tree(g))
    outcome = seen["outcome"]
    if "returned" in outcome:
        raise AssertionError(
            f"{impl.name}: apply_gradients(grads) accepted grads positionally and returned "
            f"{outcome['returned']}, expected TypeError: grads must be keyword-only, as in "
            f"Flax's apply_gradients(self, *, grads, **kwargs) {ctx}"
        )
    if not raised_a(outcome["raised"], "TypeError"):
        raise AssertionError(
            f"{impl.name}: apply_gradients(grads) with grads positional raised "
            f"{exception_text(outcome['raised'])}, expected TypeError: grads must be "
            f"keyword-only, as in Flax's apply_gradients(self, *, grads, **kwargs) {ctx}"
        )
    for name in PYTREE_FIELDS:
        diff = bitwise_difference(tree(seen["after"][name]), tree(seen["before"][name]))
        assert diff is None, (
            f"{impl.name}: the rejected positional apply_gradients call changed the state's "
            f"{name}: {diff} {ctx}"
        )


@train_state_property(pins=train_state_pins((0,)), updates=False, case=train_state_cases())
def test_positional_create_raises_type_error(impl: Implementation, case: TrainStateCase) -> None:
    train_state_class(impl)
    opt, p = case.tx, case.params
    ctx = Context(impl, {"tx": opt, "params": p.spec})
    outcome = observe(ctx, "positional_create", tx=opt, params=Tree(p.tree))["outcome"]
    if "returned" in outcome:
        raise AssertionError(
            f"{impl.name}: TrainState.create(apply_fn, params, tx) accepted positional "
            f"arguments and returned {outcome['returned']}, expected TypeError: Flax's "
            f"create(cls, *, apply_fn, params, tx, **kwargs) is keyword-only {ctx}"
        )
    if not raised_a(outcome["raised"], "TypeError"):
        raise AssertionError(
            f"{impl.name}: TrainState.create(apply_fn, params, tx) with positional arguments "
            f"raised {exception_text(outcome['raised'])}, expected TypeError: Flax's "
            f"create(cls, *, apply_fn, params, tx, **kwargs) is keyword-only {ctx}"
        )
