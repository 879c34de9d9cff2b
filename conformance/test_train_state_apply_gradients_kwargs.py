"""``apply_gradients(grads=..., **kwargs)`` also replaces the fields named in ``kwargs``.

Flax's ``apply_gradients`` returns ``self.replace(step=..., params=...,
opt_state=..., **kwargs)``: a keyword such as ``apply_fn=`` (or a subclass's
extra field, e.g. ``batch_stats=``) is set on the new state, which is still
the updated one, and the old state keeps its own value.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.implementations import Implementation
from conformance.profiles import suite_settings
from conformance.train_state_checks import (
    Context,
    apply_fn_b,
    apply_gradients,
    check_step,
    close_difference,
    create,
    describe,
    extra_fields,
    extra_value,
    get_field,
    optax_loop,
    same_value,
    train_state_class,
    trajectory_scales,
)
from strategies.optimizers import optimizers
from strategies.pytrees import grads, params

pytestmark = pytest.mark.train_state


@suite_settings()
@given(data=st.data())
def test_apply_gradients_kwargs_replace_fields(impl: Implementation, data: st.DataObject) -> None:
    cls = train_state_class(impl)
    opt = data.draw(optimizers(), label="tx")
    p = data.draw(params(), label="params")
    g = data.draw(grads(p.spec), label="grads")
    extras = extra_fields(cls) or []
    kwargs: dict[str, Any] = {"apply_fn": apply_fn_b}
    kwargs.update({f.name: extra_value(data, f, f"apply_gradients({f.name}=...)") for f in extras})
    ctx = Context(impl, {"tx": opt, "params": p.spec, "kwargs": ", ".join(kwargs)})
    expected = optax_loop(opt.tx, p.tree, [g.tree])
    p_scale, s_scale = trajectory_scales(expected)

    state = create(ctx, cls, params=p.tree, tx=opt.tx)
    old_values = {name: get_field(ctx, state, name) for name in kwargs}
    new = apply_gradients(ctx, state, g.tree, **kwargs)

    for name, value in kwargs.items():
        got = get_field(ctx, new, name)
        assert same_value(got, value), (
            f"{impl.name}: apply_gradients(grads=..., {name}=...) did not set {name} on the new "
            f"state: it is {describe(got)}, expected {describe(value)}; **kwargs must replace "
            f"fields as in Flax's self.replace(..., **kwargs) {ctx}"
        )
    check_step(ctx, new, 1, "after apply_gradients(grads=..., **kwargs)")
    for name, want, scale in (
        ("params", expected.params[1], p_scale),
        ("opt_state", expected.opt_states[1], s_scale),
    ):
        diff = close_difference(get_field(ctx, new, name), want, scale, 1)
        assert diff is None, (
            f"{impl.name}: with extra **kwargs, apply_gradients did not update {name} as "
            f"tx.update + optax.apply_updates do: {diff} {ctx}"
        )
    assert get_field(ctx, new, "tx") is opt.tx, (
        f"{impl.name}: apply_gradients(grads=..., **kwargs) did not keep tx {ctx}"
    )
    for name, value in old_values.items():
        assert getattr(state, name) is value, (
            f"{impl.name}: apply_gradients(grads=..., {name}=...) changed {name} of the old "
            f"state; only the returned state may carry the new value {ctx}"
        )
