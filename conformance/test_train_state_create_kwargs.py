"""``create(**kwargs)`` passes extra fields to the constructor; unknown ones are rejected.

Flax's ``create`` ends with ``cls(step=0, ..., **kwargs)``: a subclass's extra
fields (``batch_stats``, a dropout key...) are set from ``create``'s keyword
arguments and then carried by ``apply_gradients`` (which calls ``replace``),
and a keyword that names no field raises ``TypeError``.  Extra fields are the
class's dataclass fields beyond Flax's five, as its process reports them.
"""

from __future__ import annotations

from hypothesis import strategies as st

from conformance.implementations import Implementation
from conformance.not_applicable import DoesNotApply
from conformance.skeleton import train_state_property
from conformance.strategies.train_state_cases import (
    EDGE_EXTRA_VALUES,
    ExtraValues,
    TrainStateCase,
    extra_values,
    train_state_cases,
    train_state_pins,
)
from conformance.train_state_checks import (
    Context,
    Tree,
    observe,
    same_value,
    train_state_class,
)

UNKNOWN_FIELD = "not_a_train_state_field"


@train_state_property(
    pins=train_state_pins((1,), extras=EDGE_EXTRA_VALUES),
    case=train_state_cases(k=st.just(1)),
    extras=extra_values(),
)
def test_create_passes_extra_fields(
    impl: Implementation, case: TrainStateCase, extras: ExtraValues
) -> None:
    cls = train_state_class(impl)
    if not cls.is_dataclass:
        raise DoesNotApply(f"{impl.name}'s TrainState is not a dataclass: it has no extra fields")
    if not cls.extra_fields:
        raise DoesNotApply(
            f"{impl.name}'s TrainState has no fields beyond Flax's five; "
            "test_create_rejects_unknown_fields covers its create(**kwargs)"
        )
    opt, p, (g,) = case.tx, case.params, case.grads.trees
    values = extras.for_fields(cls.extra_fields)
    ctx = Context(impl, {"tx": opt, "params": p.spec, "extra": ", ".join(values)})
    seen = observe(
        ctx,
        "create_extra_fields",
        tx=opt,
        params=Tree(p.tree),
        grads=Tree(g),
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


@train_state_property(
    pins=train_state_pins((0,), value=7),
    updates=False,
    case=train_state_cases(),
    value=st.integers(1, 1000),
)
def test_create_rejects_unknown_fields(
    impl: Implementation, case: TrainStateCase, value: int
) -> None:
    train_state_class(impl)
    opt, p = case.tx, case.params
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
