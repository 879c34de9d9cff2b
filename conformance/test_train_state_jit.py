"""``jax.jit(lambda s, g: s.apply_gradients(grads=g))`` works and agrees with the eager call.

This is how a training loop uses a TrainState: the state goes in and out of a
jitted step.  That needs the state to be a pytree whose ``step``, ``params``
and ``opt_state`` are traced leaves and whose ``apply_fn`` and ``tx`` are
static; the jitted result must be an instance of the same class with
``step == k`` (an int32 array under jit in Flax) and the eager params and
opt_state, within the float32 rounding a different fusion may cause
(see :func:`conformance.properties.tree_comparison.close_difference`).  The jitted
and eager calls both run in the implementation's process, which sends back
both results; the comparison is made here.

Compiles are kept few: the optimizers have fixed hyper-parameters (one
``tx`` object each) and the params come from :data:`conformance.strategies.pytrees.JIT_SPECS`.
"""

from __future__ import annotations

from conformance.properties import train_state as ts
from conformance.strategies.optax_catalogue import JIT_OPTIMIZER_NAMES
from conformance.strategies.optimizers import optimizers
from conformance.strategies.tree_specs import jit_specs


@ts.property(
    pins=ts.pins(),
    case=ts.cases(
        tx=optimizers(names=JIT_OPTIMIZER_NAMES, default_hyperparams=True),
        specs=jit_specs(),
        k=ts.update_counts(),
    ),
)
def test_jitted_apply_gradients_matches_eager(impl: ts.Implementation, case: ts.Case) -> None:
    cls = ts.train_state_class(impl)
    opt, p, seq, k = case.tx, case.params, case.grads, case.k
    ctx = ts.Context(impl, {"tx": opt, "params": p.spec, "k": k})
    p_scale, s_scale = ts.expected_loop(opt, p.tree, seq.trees).scales
    seen = ts.observe(
        ctx, "jitted", tx=opt, params=ts.Tree(p.tree), grads=[ts.Tree(g) for g in seq.trees]
    )
    start = ts.counted_from(ts.leaf(seen["start"]))
    for i, call in enumerate(seen["calls"], start=1):
        assert call["is_cls"], (
            f"{impl.name}: the jitted apply_gradients returned a {call['type']} on call {i}, "
            f"expected a {cls.name} {ctx}"
        )
        # The jitted count must be the eager one: the step property owns the eager count and
        # its type, the create property the step create gives.
        eager_step = ts.leaf(call["eager_step"])
        ts.check_step(
            ctx,
            ts.leaf(call["step"]),
            ts.counted_like(eager_step, start + i),
            f"after {i} jitted apply_gradients call(s)",
            integral=ts.is_integral(eager_step),
            rule="the same calls made eagerly count to that, and jax.jit must not change it",
        )
        for name, scale in (("params", p_scale), ("opt_state", s_scale)):
            diff = ts.close_difference(
                ts.tree(call["jitted"][name]), ts.tree(call["eager"][name]), scale, i
            )
            assert diff is None, (
                f"{impl.name}: {name} after {i} jitted apply_gradients call(s) differ from the "
                f"eager calls' beyond float32 rounding: {diff} {ctx}"
            )
        ts.check_each(
            ctx,
            call["statics_kept"],
            lambda name: (
                f"{name} of the state returned by the jitted apply_gradients is not the "
                "object passed to create; a static field must come back as the same object"
            ),
        )
