"""After ``k`` updates, params and opt_state are those of the hand-written Optax loop.

The loop: ``opt_state = tx.init(params)`` once, then ``updates, opt_state =
tx.update(grads, opt_state, params)`` and ``params = optax.apply_updates(params,
updates)`` per gradient tree.  Comparing after every call, over stateful,
chained, scheduled and params-dependent transformations, catches an
``opt_state`` that is re-initialised, not carried over, or initialised from
something other than ``params``, a missing ``params`` argument to
``tx.update``, and updates applied with the wrong sign or twice.

The loop runs here, in the judging process; the implementation's process
sends back its params and opt_state after each call, leaf by leaf.
Tolerance: see :func:`conformance.train_state_checks.close_difference`
(Flax's own class is bit-identical; a few float32 roundoffs per update are
allowed for implementations that run the same ops jitted or reordered).
"""

from __future__ import annotations

from conformance.implementations import Implementation
from conformance.skeleton import train_state_property
from conformance.strategies.optimizers import update_counts
from conformance.strategies.pytrees import show_tree
from conformance.strategies.train_state_cases import (
    TrainStateCase,
    train_state_cases,
    train_state_pins,
)
from conformance.train_state_checks import (
    Context,
    Tree,
    close_difference,
    expected_loop,
    observe,
    train_state_class,
    tree,
)


@train_state_property(
    pins=train_state_pins(), observed=False, case=train_state_cases(k=update_counts())
)
def test_params_and_opt_state_follow_the_optax_loop(
    impl: Implementation, case: TrainStateCase
) -> None:
    train_state_class(impl)
    opt, p, seq, k = case.tx, case.params, case.grads, case.k
    ctx = Context(impl, {"tx": opt, "params": p.spec, "k": k})

    expected = expected_loop(opt, p.tree, seq.trees)
    p_scale, s_scale = expected.scales
    want_params, want_opt_states = expected.described
    seen = observe(
        ctx, "trajectory", tx=opt, params=Tree(p.tree), grads=[Tree(g) for g in seq.trees]
    )
    for i, (g, after) in enumerate(zip(seq.trees, seen["after"], strict=True), start=1):
        diff = close_difference(tree(after["params"]), want_params[i], p_scale, i)
        assert diff is None, (
            f"{impl.name}: params after {i} of {k} apply_gradients call(s) differ from the "
            f"Optax loop (tx.init once, then tx.update + optax.apply_updates per call): {diff}; "
            f"grads of call {i}: {show_tree(g)} {ctx}"
        )
        diff = close_difference(tree(after["opt_state"]), want_opt_states[i], s_scale, i)
        assert diff is None, (
            f"{impl.name}: opt_state after {i} of {k} apply_gradients call(s) differs from the "
            f"Optax loop's (tx.init once, then the opt_state returned by each tx.update carried "
            f"to the next call): {diff} {ctx}"
        )
