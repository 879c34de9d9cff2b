"""``jax.jit(lambda s, g: s.apply_gradients(grads=g))`` works and agrees with the eager call.

This is how a training loop uses a TrainState: the state goes in and out of a
jitted step.  That needs the state to be a pytree whose ``step``, ``params``
and ``opt_state`` are traced leaves and whose ``apply_fn`` and ``tx`` are
static; the jitted result must be an instance of the same class with
``step == k`` (an int32 array under jit in Flax) and the eager params and
opt_state, within the float32 rounding a different fusion may cause
(see :func:`conformance.train_state_checks.close_difference`).

Compiles are kept few: the optimizers have fixed hyper-parameters (one
``tx`` object each) and the params come from :data:`strategies.pytrees.JIT_SPECS`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.calling import ImplementationRaised
from conformance.implementations import Implementation
from conformance.profiles import suite_settings
from conformance.train_state_checks import (
    Context,
    apply_gradients,
    check_step,
    close_difference,
    create,
    get_field,
    optax_loop,
    raised,
    train_state_class,
    trajectory_scales,
    type_name,
)
from strategies.optimizers import JIT_OPTIMIZER_NAMES, optimizers, update_counts
from strategies.pytrees import grad_sequences, jit_specs, params

pytestmark = pytest.mark.train_state


@functools.cache
def _jitted_apply_gradients(cls: type) -> Callable[[Any, Any], Any]:
    """``jax.jit(lambda s, g: s.apply_gradients(grads=g))``, one jitted function per class.

    Not one shared function: JAX may find the tree structures of two different
    classes equal (two Flax ``struct`` subclasses with the same fields do), and
    then reuse the trace of one implementation's ``apply_gradients`` for another.
    """
    return jax.jit(lambda s, g: s.apply_gradients(grads=g))


@suite_settings()
@given(data=st.data())
def test_jitted_apply_gradients_matches_eager(impl: Implementation, data: st.DataObject) -> None:
    cls = train_state_class(impl)
    opt = data.draw(optimizers(JIT_OPTIMIZER_NAMES, default_hyperparams=True), label="tx")
    p = data.draw(params(jit_specs()), label="params")
    k = data.draw(update_counts(), label="k (apply_gradients calls)")
    seq = data.draw(grad_sequences(p.spec, k), label="grads (one tree per call)")
    ctx = Context(impl, {"tx": opt, "params": p.spec, "k": k})
    p_scale, s_scale = trajectory_scales(optax_loop(opt.tx, p.tree, seq.trees))

    # Two states, so that an implementation that mutates one cannot disturb the other.
    eager = create(ctx, cls, params=p.tree, tx=opt.tx)
    jitted = create(ctx, cls, params=p.tree, tx=opt.tx)
    for i, g in enumerate(seq.trees, start=1):
        eager = apply_gradients(ctx, eager, g, call=i)
        try:
            jitted = _jitted_apply_gradients(cls)(jitted, g)
        except Exception as exc:
            raise ImplementationRaised(
                f"{impl.name}: jax.jit(lambda s, g: s.apply_gradients(grads=g))(state, grads) "
                f"raised {raised(exc)} on call {i}; the state must be a pytree (step, params, "
                f"opt_state as leaves; apply_fn and tx static) whose apply_gradients traces "
                f"{ctx}"
            ) from exc
        assert type(jitted) is cls, (
            f"{impl.name}: the jitted apply_gradients returned a {type_name(type(jitted))} "
            f"on call {i}, expected a {type_name(cls)} {ctx}"
        )
        check_step(ctx, jitted, i, f"after {i} jitted apply_gradients call(s)")
        for name, scale in (("params", p_scale), ("opt_state", s_scale)):
            diff = close_difference(
                get_field(ctx, jitted, name), get_field(ctx, eager, name), scale, i
            )
            assert diff is None, (
                f"{impl.name}: {name} after {i} jitted apply_gradients call(s) differ from the "
                f"eager calls' beyond float32 rounding: {diff} {ctx}"
            )
        for name in ("apply_fn", "tx"):
            assert get_field(ctx, jitted, name) is get_field(ctx, eager, name), (
                f"{impl.name}: {name} of the state returned by the jitted apply_gradients is not "
                f"the object passed to create; a static field must come back as the same object "
                f"{ctx}"
            )
