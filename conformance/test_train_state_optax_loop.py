"""After ``k`` updates, params and opt_state are those of the hand-written Optax loop.

The loop: ``opt_state = tx.init(params)`` once, then ``updates, opt_state =
tx.update(grads, opt_state, params)`` and ``params = optax.apply_updates(params,
updates)`` per gradient tree, from params with JAX or with NumPy leaves (as
loaded from a checkpoint: Flax's class takes both).  Comparing after every call, over stateful,
chained, scheduled and params-dependent transformations, catches an
``opt_state`` that is re-initialised, not carried over, or initialised from
something other than ``params``, a missing ``params`` argument to
``tx.update``, and updates applied with the wrong sign or twice.  Params may
be a tuple or a list (Haiku- and Equinox-style) as well as dicts: Flax maps
Optax over any pytree, and a grads check that knows only mappings refuses
matching grads there.  One pin has a 256 x 256 leaf, an embedding table,
whose gradients are zero in two rows of three at each call: code that skips such
rows, as sparse optimizers do, departs from AdamW's weight decay and momentum.

Call 1's gradients may hold a NaN or a +inf, as a diverging run's do.  Flax
applies them like any others: the params and opt_state turn NaN or inf where
the loop's do, which is how a diverging run shows; a class that zeroes such
gradients, or drops the update, trains on silently.  Every optimizer of the
catalogue is drawn with them: each propagates a NaN or an inf through IEEE
arithmetic alone (Adam's and RMSProp's ``inf / inf``, clipping's ``inf`` norm,
schedule-free SGD's ``-inf - -inf`` all give NaN), the same eagerly, jitted or
with the ops reordered, so the expected values do not depend on how a faithful
implementation runs them.

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
from conformance.strategies.pytrees import (
    LEAF_KINDS,
    NON_FINITE_GRADS,
    non_finite_text,
    with_leaf_kind,
    with_non_finite,
)
from conformance.strategies.tree_specs import param_specs


@ts.property(
    # Each edge with each kind of params leaves and of call 1's gradients, in turn.
    pins=[
        {
            **pin,
            "leaves": LEAF_KINDS[i % len(LEAF_KINDS)],
            "non_finite": NON_FINITE_GRADS[i % len(NON_FINITE_GRADS)],
        }
        for i, pin in enumerate(ts.pins(sequences=True, large=True))
    ],
    case=ts.cases(k=ts.update_counts(), specs=param_specs(sequences=True)),
    leaves=st.sampled_from(LEAF_KINDS),
    non_finite=st.sampled_from(NON_FINITE_GRADS),
)
def test_params_and_opt_state_follow_the_optax_loop(
    impl: ts.Implementation, case: ts.Case, leaves: str, non_finite: str
) -> None:
    opt, p, k = case.tx, case.params, case.k
    if p.spec.container != "dict":
        # Flax's create tests `"overwrite_with_gradient" in params`, which compares the string
        # with each item of a tuple or list: a NumPy array answers elementwise, and the test
        # raises. So sequences of params have JAX leaves, as Haiku's and Equinox's do.
        leaves = "jax"
    described = {"tx": opt, "params": p.spec, "params leaves": leaves, "k": k}
    diverging = ""
    if non_finite != "finite":
        shown = non_finite_text(non_finite)
        described["grads"] = f"call 1's with {shown} as its first value"
        diverging = (
            f"; call 1's grads hold a {shown}, which Flax's TrainState applies like any other "
            "gradient, so that its params and opt_state turn NaN or inf where the loop's do"
        )
    ctx = ts.Context(impl, described)

    def why(diff: str) -> str:
        return diff + diverging if ts.NON_FINITE_MISMATCH in diff else diff

    params = with_leaf_kind(p.tree, leaves)
    grads = [with_non_finite(case.grads.trees[0], non_finite), *case.grads.trees[1:]]

    expected = ts.expected_loop(opt, p.tree, grads)
    p_scale, s_scale = expected.scales
    want_params, want_opt_states = expected.described
    seen = ts.observe(
        ctx, "trajectory", tx=opt, params=ts.Tree(params), grads=[ts.Tree(g) for g in grads]
    )
    for i, (g, after) in enumerate(zip(grads, seen["after"], strict=True), start=1):
        diff = ts.close_difference(ts.tree(after["params"]), want_params[i], p_scale, i)
        assert diff is None, (
            f"{impl.name}: params after {i} of {k} apply_gradients(grads=...) call(s) differ "
            f"from the Optax loop (tx.init once, then tx.update + optax.apply_updates per "
            f"call): {why(diff)}; grads of call {i}: {show_tree(g)} {ctx}"
        )
        diff = ts.close_difference(ts.tree(after["opt_state"]), want_opt_states[i], s_scale, i)
        assert diff is None, (
            f"{impl.name}: opt_state after {i} of {k} apply_gradients(grads=...) call(s) "
            f"differs from the Optax loop's (tx.init once, then the opt_state returned by each "
            f"tx.update carried to the next call): {why(diff)} {ctx}"
        )
