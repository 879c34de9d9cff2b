"""``state.replace(**fields)`` returns a modified copy and leaves the original unchanged.

Flax's ``replace`` is ``dataclasses.replace``: a new instance of the same class
with the named fields set and every other field as before.  Each example
replaces a drawn non-empty subset of the five fields.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.implementations import Implementation
from conformance.profiles import suite_settings
from conformance.train_state_checks import (
    CANONICAL_FIELDS,
    STATIC_FIELDS,
    Context,
    apply_fn_b,
    bitwise_difference,
    create,
    get_field,
    raised,
    snapshot,
    train_state_class,
    type_name,
)
from strategies.optimizers import optimizers
from strategies.pytrees import params, trees

pytestmark = pytest.mark.train_state


@suite_settings()
@given(data=st.data())
def test_replace_returns_a_modified_copy(impl: Implementation, data: st.DataObject) -> None:
    cls = train_state_class(impl)
    opt = data.draw(optimizers(), label="tx")
    p = data.draw(params(), label="params")
    names = data.draw(
        st.lists(st.sampled_from(CANONICAL_FIELDS), min_size=1, max_size=5, unique=True),
        label="fields replaced",
    )
    ctx = Context(impl, {"tx": opt, "params": p.spec, "replaced": ",".join(names)})
    state = create(ctx, cls, params=p.tree, tx=opt.tx)

    new_params = data.draw(trees(p.spec), label="new params").tree
    candidates: dict[str, Any] = {
        "step": data.draw(st.integers(1, 1000), label="new step"),
        "params": new_params,
        "opt_state": opt.tx.init(new_params),
        "apply_fn": apply_fn_b,
        "tx": opt.fresh_tx(),
    }
    changes = {name: candidates[name] for name in names}
    original = {name: get_field(ctx, state, name) for name in CANONICAL_FIELDS}
    original_bits = {name: snapshot(value) for name, value in original.items()}

    try:
        new = state.replace(**changes)
    except Exception as exc:
        raise AssertionError(
            f"{impl.name}: state.replace({', '.join(f'{n}=...' for n in names)}) raised "
            f"{raised(exc)}; Flax's replace(**fields) returns a copy with those fields set {ctx}"
        ) from exc

    assert new is not state, (
        f"{impl.name}: replace returned the state it was called on, expected a new state {ctx}"
    )
    assert type(new) is type(state), (
        f"{impl.name}: replace returned a {type_name(type(new))}, expected a "
        f"{type_name(type(state))} {ctx}"
    )
    for name in CANONICAL_FIELDS:
        want = changes.get(name, original[name])
        got = get_field(ctx, new, name)
        role = "replaced" if name in changes else "not replaced"
        if name in STATIC_FIELDS:
            assert got is want, (
                f"{impl.name}: after replace, the copy's {name} ({role}) is not the expected "
                f"object {ctx}"
            )
        else:
            diff = bitwise_difference(got, want)
            assert diff is None, (
                f"{impl.name}: after replace, the copy's {name} ({role}) is wrong: {diff} {ctx}"
            )
    for name in CANONICAL_FIELDS:
        now = getattr(state, name)
        if name in STATIC_FIELDS:
            assert now is original[name], (
                f"{impl.name}: replace changed the original state's {name}; it must return a "
                f"modified copy and leave the original unchanged {ctx}"
            )
        else:
            diff = bitwise_difference(now, original_bits[name])
            assert diff is None, (
                f"{impl.name}: replace changed the original state's {name}: {diff}; it must "
                f"return a modified copy and leave the original unchanged {ctx}"
            )
