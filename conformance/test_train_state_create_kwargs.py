"""``create(**kwargs)`` passes extra fields to the constructor; unknown ones are rejected.

Flax's ``create`` ends with ``cls(step=0, ..., **kwargs)``: a subclass's extra
fields (``batch_stats``, a dropout key...) are set from ``create``'s keyword
arguments and then carried by ``apply_gradients`` (which calls ``replace``),
and a keyword that names no field raises ``TypeError``.  Extra fields are the
class's dataclass fields beyond Flax's five, as its process reports them.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.implementations import Implementation
from conformance.not_applicable import DoesNotApply
from conformance.profiles import suite_settings
from conformance.strategies.optimizers import optimizers
from conformance.strategies.pytrees import grads, params
from conformance.train_state_checks import (
    Context,
    Tree,
    extra_value,
    observe,
    same_value,
    train_state_class,
)

pytestmark = [pytest.mark.trainstate_train_state, pytest.mark.trainstate_observed]

UNKNOWN_FIELD = "not_a_train_state_field"


@suite_settings()
@given(data=st.data())
def test_create_passes_extra_fields(impl: Implementation, data: st.DataObject) -> None:
    cls = train_state_class(impl)
    if not cls.is_dataclass:
        raise DoesNotApply(f"{impl.name}'s TrainState is not a dataclass: it has no extra fields")
    if not cls.extra_fields:
        raise DoesNotApply(
            f"{impl.name}'s TrainState has no fields beyond Flax's five; "
            "test_create_rejects_unknown_fields covers its create(**kwargs)"
        )
    opt = data.draw(optimizers(), label="tx")
    p = data.draw(params(), label="params")
    g = data.draw(grads(p.spec), label="grads")
    values = {f.name: extra_value(data, f, f"create({f.name}=...)") for f in cls.extra_fields}
    ctx = Context(impl, {"tx": opt, "params": p.spec, "extra": ", ".join(values)})
    seen = observe(
        ctx,
        "create_extra_fields",
        tx=opt,
        params=Tree(p.tree),
        grads=Tree(g.tree),
        extra={name: Tree(value) for name, value in values.items()},
    )
    for name, value in values.items():
        got = seen["created"][name]
        assert same_value(got, value), (
            f"{impl.name}: create({name}=...) did not set the extra field {name}: it is "
            f"{got['text']}, expected {value!r:.60}; create must pass **kwargs on to the "
            f"constructor {ctx}"
        )
    for name, value in values.items():
        got = seen["updated"][name]
        assert same_value(got, value), (
            f"{impl.name}: apply_gradients did not carry the extra field {name}: it is "
            f"{got['text']} after the call, expected {value!r:.60} as set by create (Flax's "
            f"apply_gradients keeps every field it does not update) {ctx}"
        )


@suite_settings()
@given(data=st.data())
def test_create_rejects_unknown_fields(impl: Implementation, data: st.DataObject) -> None:
    train_state_class(impl)
    opt = data.draw(optimizers(), label="tx")
    p = data.draw(params(), label="params")
    value = data.draw(st.integers(1, 1000), label=f"create({UNKNOWN_FIELD}=...)")
    ctx = Context(impl, {"tx": opt, "params": p.spec})
    outcome = observe(
        ctx, "create_unknown_field", tx=opt, params=Tree(p.tree), field=UNKNOWN_FIELD, value=value
    )["outcome"]
    assert "raised" in outcome, (
        f"{impl.name}: TrainState.create(..., {UNKNOWN_FIELD}={value}) accepted a keyword that "
        f"names no field and returned {outcome['returned']}: create must pass **kwargs on to "
        f"the constructor, which rejects unknown fields (Flax raises TypeError), not drop them "
        f"{ctx}"
    )
