"""``create(**kwargs)`` passes extra fields to the constructor; unknown ones are rejected.

Flax's ``create`` ends with ``cls(step=0, ..., **kwargs)``: a subclass's extra
fields (``batch_stats``, a dropout key...) are set from ``create``'s keyword
arguments and then carried by ``apply_gradients`` (which calls ``replace``),
and a keyword that names no field raises ``TypeError``.  Extra fields are the
class's dataclass fields beyond Flax's five.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.implementations import Implementation
from conformance.profiles import suite_settings
from conformance.train_state_checks import (
    Context,
    apply_fn_a,
    apply_gradients,
    create,
    describe,
    extra_fields,
    extra_value,
    get_field,
    same_value,
    train_state_class,
)
from strategies.optimizers import optimizers
from strategies.pytrees import grads, params

pytestmark = pytest.mark.train_state

UNKNOWN_FIELD = "not_a_train_state_field"


@suite_settings()
@given(data=st.data())
def test_create_passes_extra_fields(impl: Implementation, data: st.DataObject) -> None:
    cls = train_state_class(impl)
    extras = extra_fields(cls)
    if extras is None:
        pytest.skip(f"{impl.name}'s TrainState is not a dataclass: its extra fields are unknown")
    if not extras:
        pytest.skip(
            f"{impl.name}'s TrainState has no fields beyond Flax's five; "
            "test_create_rejects_unknown_fields covers its create(**kwargs)"
        )
    opt = data.draw(optimizers(), label="tx")
    p = data.draw(params(), label="params")
    g = data.draw(grads(p.spec), label="grads")
    values = {f.name: extra_value(data, f, f"create({f.name}=...)") for f in extras}
    ctx = Context(impl, {"tx": opt, "params": p.spec, "extra": ", ".join(values)})

    state = create(ctx, cls, params=p.tree, tx=opt.tx, **values)
    for name, value in values.items():
        got = get_field(ctx, state, name)
        assert same_value(got, value), (
            f"{impl.name}: create({name}=...) did not set the extra field {name}: it is "
            f"{describe(got)}, expected {describe(value)}; create must pass **kwargs on to the "
            f"constructor {ctx}"
        )
    new = apply_gradients(ctx, state, g.tree)
    for name, value in values.items():
        got = get_field(ctx, new, name)
        assert same_value(got, value), (
            f"{impl.name}: apply_gradients did not carry the extra field {name}: it is "
            f"{describe(got)} after the call, expected {describe(value)} as set by create "
            f"(Flax's apply_gradients keeps every field it does not update) {ctx}"
        )


@suite_settings()
@given(data=st.data())
def test_create_rejects_unknown_fields(impl: Implementation, data: st.DataObject) -> None:
    cls = train_state_class(impl)
    opt = data.draw(optimizers(), label="tx")
    p = data.draw(params(), label="params")
    value = data.draw(st.integers(1, 1000), label=f"create({UNKNOWN_FIELD}=...)")
    ctx = Context(impl, {"tx": opt, "params": p.spec})
    try:
        result = cls.create(apply_fn=apply_fn_a, params=p.tree, tx=opt.tx, **{UNKNOWN_FIELD: value})
    except Exception:
        return
    raise AssertionError(
        f"{impl.name}: TrainState.create(..., {UNKNOWN_FIELD}={value}) accepted a keyword that "
        f"names no field and returned {describe(result)}: create must pass **kwargs on to the "
        f"constructor, which rejects unknown fields (Flax raises TypeError), not drop them {ctx}"
    )
