"""After ``k`` updates, params and opt_state are those of the hand-written Optax loop.

The loop: ``opt_state = tx.init(params)`` once, then ``updates, opt_state =
tx.update(grads, opt_state, params)`` and ``params = optax.apply_updates(params,
updates)`` per gradient tree, from params with JAX or with NumPy leaves (as
loaded from a checkpoint: Flax's class takes both).  Comparing after every call, over stateful,
chained, scheduled and params-dependent transformations, catches an
``opt_state`` that is re-initialised, not carried over, or initialised from
something other than ``params``, a missing ``params`` argument to
``tx.update``, and updates applied with the wrong sign or twice.

The loop runs here, in the judging process; the implementation's process
sends back its params and opt_state after each call, leaf by leaf.
Tolerance: see :func:`conformance.properties.tree_comparison.close_difference`
(Flax's own class is bit-identical; a few float32 roundoffs per update are
allowed for implementations that run the same ops jitted or reordered).
"""

from __future__ import annotations

from hypothesis import strategies as st

from conformance.properties import train_state as ts
from conformance.strategies.printing import show_tree
from conformance.strategies.pytrees import LEAF_KINDS, with_leaf_kind


@ts.property(
    pins=[{**pin, "leaves": LEAF_KINDS[i % len(LEAF_KINDS)]} for i, pin in enumerate(ts.pins())],
    case=ts.cases(k=ts.update_counts()),
    leaves=st.sampled_from(LEAF_KINDS),
)
def test_params_and_opt_state_follow_the_optax_loop(
    impl: ts.Implementation, case: ts.Case, leaves: str
) -> None:
    opt, p, seq, k = case.tx, case.params, case.grads, case.k
    ctx = ts.Context(impl, {"tx": opt, "params": p.spec, "params leaves": leaves, "k": k})
    params = with_leaf_kind(p.tree, leaves)

    expected = ts.expected_loop(opt, p.tree, seq.trees)
    p_scale, s_scale = expected.scales
    want_params, want_opt_states = expected.described
    seen = ts.observe(
        ctx, "trajectory", tx=opt, params=ts.Tree(params), grads=[ts.Tree(g) for g in seq.trees]
    )
    for i, (g, after) in enumerate(zip(seq.trees, seen["after"], strict=True), start=1):
        diff = ts.close_difference(ts.tree(after["params"]), want_params[i], p_scale, i)
        assert diff is None, (
            f"{impl.name}: params after {i} of {k} apply_gradients call(s) differ from the "
            f"Optax loop (tx.init once, then tx.update + optax.apply_updates per call): {diff}; "
            f"grads of call {i}: {show_tree(g)} {ctx}"
        )
        diff = ts.close_difference(ts.tree(after["opt_state"]), want_opt_states[i], s_scale, i)
        assert diff is None, (
            f"{impl.name}: opt_state after {i} of {k} apply_gradients call(s) differs from the "
            f"Optax loop's (tx.init once, then the opt_state returned by each tx.update carried "
            f"to the next call): {diff} {ctx}"
        )
