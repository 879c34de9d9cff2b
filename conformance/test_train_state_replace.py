"""``state.replace(**fields)`` returns a modified copy and leaves the original unchanged.

Flax's ``replace`` is ``dataclasses.replace``: a new instance of the same class
with the named fields set and every other field as before.  Each example
replaces a drawn non-empty subset of the five fields of a state whose
``opt_state`` has moved past ``tx.init`` (set with ``replace(opt_state=...)``
to the state after one update): a ``replace(tx=...)`` that re-initialises
``opt_state`` "to stay consistent" loses the old optimizer's momentum, which
Flax keeps.  The replaced values
are compared here with what was sent (and with ``tx.init`` for opt_state);
identities and the original's state are seen in the implementation's process.
"""

from __future__ import annotations

from hypothesis import strategies as st

from conformance.properties import train_state as ts


@ts.property(
    # Every field at once, and tx alone: on a state past its first step with Adam's or
    # schedule-free SGD's state, where a re-initialised opt_state shows.
    pins=[
        *ts.pins((0,), other=True, fields=list(ts.CANONICAL_FIELDS), new_step=7),
        *ts.pins((0,), other=True, fields=["tx"], new_step=7),
    ],
    updates=False,
    case=ts.cases(other=True),
    fields=st.lists(st.sampled_from(ts.CANONICAL_FIELDS), min_size=1, max_size=5, unique=True),
    new_step=st.integers(1, 1000),
)
def test_replace_returns_a_modified_copy(
    impl: ts.Implementation, case: ts.Case, fields: list[str], new_step: int
) -> None:
    opt, p, names = case.tx, case.params, fields
    assert case.other is not None
    ctx = ts.Context(impl, {"tx": opt, "params": p.spec, "replaced": ",".join(names)})
    new_params = case.other.tree
    seen = ts.observe(
        ctx,
        "replace",
        tx=opt,
        params=ts.Tree(p.tree),
        new_params=ts.Tree(new_params),
        new_step=new_step,
        names=names,
    )
    sent = {
        "step": ts.expected_tree(new_step),
        "params": ts.expected_tree(new_params),
        "opt_state": ts.expected_tree(opt.tx.init(new_params)),
    }
    assert not seen["same_object"], (
        f"{impl.name}: replace returned the state it was called on, expected a new state {ctx}"
    )
    assert seen["same_type"], (
        f"{impl.name}: replace returned a {seen['new_type']}, expected a {seen['type']} {ctx}"
    )
    for name in ts.CANONICAL_FIELDS:
        got = seen["fields"][name]
        replaced = name in names
        role = "replaced" if replaced else "not replaced"
        if name in ts.STATIC_FIELDS:
            assert got["identical"], (
                f"{impl.name}: after replace, the copy's {name} ({role}) is not the expected "
                f"object {ctx}"
            )
            continue
        want = sent[name] if replaced else ts.tree(seen["original"][name])
        diff = ts.bitwise_difference(ts.tree(got["tree"]), want)
        assert diff is None, (
            f"{impl.name}: after replace, the copy's {name} ({role}) is wrong: {diff} {ctx}"
        )
    for name in ts.CANONICAL_FIELDS:
        now = seen["now"][name]
        if name in ts.STATIC_FIELDS:
            assert now["identical"], (
                f"{impl.name}: replace replaced the original state's {name}; it must return a "
                f"modified copy and leave the original unchanged {ctx}"
            )
        else:
            diff = ts.bitwise_difference(ts.tree(now["tree"]), ts.tree(seen["original"][name]))
            assert diff is None, (
                f"{impl.name}: replace changed the original state's {name}: {diff}; it must "
                f"return a modified copy and leave the original unchanged {ctx}"
            )
