"""``apply_gradients(*, grads)`` and ``create(*, apply_fn, params, tx)`` are keyword-only.

Flax declares both with a bare ``*``; a positional call raises ``TypeError``.
A class that accepts ``state.apply_gradients(g)`` invites code that passes
the wrong tree in the wrong slot and will break on Flax's class.  Whether a
call raised is seen in the implementation's process.
"""

from __future__ import annotations

from hypothesis import strategies as st

from conformance.properties import train_state as ts


@ts.property(pins=ts.pins((1,)), updates=False, case=ts.cases(k=st.just(1)))
def test_positional_grads_raise_type_error(impl: ts.Implementation, case: ts.Case) -> None:
    opt, p, (g,) = case.tx, case.params, case.grads.trees
    ctx = ts.Context(impl, {"tx": opt, "params": p.spec})
    seen = ts.observe(ctx, "positional_grads", tx=opt, params=ts.Tree(p.tree), grads=ts.Tree(g))
    ts.check_raised(
        ctx,
        seen["outcome"],
        "TypeError",
        "apply_gradients(grads), with grads positional,",
        "grads must be keyword-only, as in Flax's apply_gradients(self, *, grads, **kwargs)",
    )
    ts.check_unchanged(
        ctx,
        seen["before"],
        seen["after"],
        lambda name, diff: (
            f"the rejected positional apply_gradients call changed the state's {name}: {diff}"
        ),
    )


@ts.property(pins=ts.pins((0,)), updates=False, case=ts.cases())
def test_positional_create_raises_type_error(impl: ts.Implementation, case: ts.Case) -> None:
    opt, p = case.tx, case.params
    ctx = ts.Context(impl, {"tx": opt, "params": p.spec})
    outcome = ts.observe(ctx, "positional_create", tx=opt, params=ts.Tree(p.tree))["outcome"]
    ts.check_raised(
        ctx,
        outcome,
        "TypeError",
        "TrainState.create(apply_fn, params, tx), with positional arguments,",
        "Flax's create(cls, *, apply_fn, params, tx, **kwargs) is keyword-only",
    )


@ts.property(pins=ts.pins((1,)), updates=False, case=ts.cases(k=st.just(1)))
def test_apply_gradients_without_grads_raises(impl: ts.Implementation, case: ts.Case) -> None:
    """``grads`` is a required keyword: ``apply_gradients()`` raises ``TypeError``, and
    ``apply_gradients(grads=None)`` raises too (None is no tree of params' structure), where
    a plain update of the same state succeeds.  A class that then only replaces fields
    would count a step that applied nothing."""
    opt, p, (g,) = case.tx, case.params, case.grads.trees
    ctx = ts.Context(impl, {"tx": opt, "params": p.spec})
    seen = ts.observe(ctx, "missing_grads", tx=opt, params=ts.Tree(p.tree), grads=ts.Tree(g))
    ts.check_raised(
        ctx,
        seen["without"],
        "TypeError",
        "apply_gradients(), without grads,",
        "grads is a required keyword of Flax's apply_gradients(self, *, grads, **kwargs)",
    )
    ts.check_raised(
        ctx,
        seen["none"],
        "Exception",
        "apply_gradients(grads=None)",
        "None is not a tree of params' structure, and Flax's apply_gradients raises on it",
    )
    ts.check_unchanged(
        ctx,
        seen["before"],
        seen["after"],
        lambda name, diff: f"a rejected apply_gradients call changed the state's {name}: {diff}",
    )
