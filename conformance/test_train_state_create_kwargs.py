"""``create(**kwargs)`` passes extra fields to the constructor; unknown ones are rejected.

Flax's ``create`` ends with ``cls(step=0, ..., **kwargs)``: a subclass's extra
fields (``batch_stats``, a dropout key...) are set from ``create``'s keyword
arguments and then carried by ``apply_gradients`` (which calls ``replace``),
and a keyword that names no field raises ``TypeError``.  Extra fields are the
class's dataclass fields beyond Flax's five, as its process reports them; the
values drawn here go to those with a default (a required field gets the value
every ``create`` passes, and ``test_train_state_extra_fields`` follows it).
"""

from __future__ import annotations

from hypothesis import strategies as st

from conformance.properties import train_state as ts

UNKNOWN_FIELD = "not_a_train_state_field"


@ts.property(
    pins=ts.pins((1,), extras=ts.EDGE_EXTRA_VALUES),
    case=ts.cases(k=st.just(1)),
    extras=ts.extra_values(),
)
def test_create_passes_extra_fields(
    impl: ts.Implementation, case: ts.Case, extras: ts.ExtraValues
) -> None:
    cls = ts.train_state_class(impl)
    if not cls.is_dataclass:
        raise ts.DoesNotApply(
            f"{impl.name}'s TrainState is not a dataclass: it has no extra fields"
        )
    if not cls.drawable_fields:
        raise ts.DoesNotApply(
            f"{impl.name}'s TrainState has no field beyond Flax's five with a default that the "
            "suite may set (required fields, and those of a module with trainstate_fields, "
            "are followed by test_extra_fields_are_carried_replaced_and_kept_as_declared); "
            "test_create_rejects_unknown_fields covers its create(**kwargs)"
        )
    opt, p, (g,) = case.tx, case.params, case.grads.trees
    values = extras.for_fields(cls.drawable_fields)
    ctx = ts.Context(impl, {"tx": opt, "params": p.spec, "extra": ", ".join(values)})
    seen = ts.observe(
        ctx,
        "create_extra_fields",
        tx=opt,
        params=ts.Tree(p.tree),
        grads=ts.Tree(g),
        extra={name: ts.Tree(value) for name, value in values.items()},
    )
    for when, what, rule in (
        (
            "created",
            "create({name}=...) did not set",
            "create must pass **kwargs on to the constructor",
        ),
        (
            "updated",
            "apply_gradients did not carry",
            "Flax's apply_gradients keeps every field it does not update",
        ),
    ):
        for name, value in values.items():
            got = seen[when][name]
            assert ts.same_value(got, value), (
                f"{impl.name}: {what.format(name=name)} the extra field {name}: it is "
                f"{got['text']} once {when}, expected {value!r:.60}; {rule} {ctx}"
            )


@ts.property(
    pins=ts.pins((0,), value=7),
    updates=False,
    case=ts.cases(),
    value=st.integers(1, 1000),
)
def test_create_rejects_unknown_fields(impl: ts.Implementation, case: ts.Case, value: int) -> None:
    opt, p = case.tx, case.params
    ctx = ts.Context(impl, {"tx": opt, "params": p.spec})
    outcome = ts.observe(
        ctx,
        "create_unknown_field",
        tx=opt,
        params=ts.Tree(p.tree),
        field=UNKNOWN_FIELD,
        value=value,
    )["outcome"]
    assert "raised" in outcome, (
        f"{impl.name}: TrainState.create(..., {UNKNOWN_FIELD}={value}) accepted a keyword that "
        f"names no field and returned {outcome['returned']}: create must pass **kwargs on to "
        f"the constructor, which rejects unknown fields (Flax raises TypeError), not drop them "
        f"{ctx}"
    )
    raised = outcome["raised"]
    # The same create without the unknown keyword succeeded (the scenario's control), so a
    # TypeError is about that keyword; any other exception must say so.
    assert ts.raised_a(raised, "TypeError") or UNKNOWN_FIELD in str(raised.get("message")), (
        f"{impl.name}: TrainState.create(..., {UNKNOWN_FIELD}={value}) raised "
        f"{ts.exception_text(raised)}, which neither is a TypeError nor names the unknown "
        f"field; the same create without it succeeds, and Flax raises TypeError: __init__() "
        f"got an unexpected keyword argument {UNKNOWN_FIELD!r} {ctx}"
    )
