"""``state.replace(**fields)`` returns a modified copy and leaves the original unchanged.

Flax's ``replace`` is ``dataclasses.replace``: a new instance of the same class
with the named fields set and every other field as before.  Each example
replaces a drawn non-empty subset of the five fields.  The replaced values
are compared here with what was sent (and with ``tx.init`` for opt_state);
identities and the original's state are seen in the implementation's process.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.implementations import Implementation
from conformance.isolation.service import CANONICAL_FIELDS
from conformance.isolation.train_state_scenarios import STATIC_FIELDS
from conformance.isolation.trees import expected_tree
from conformance.profiles import suite_settings
from conformance.strategies.optimizers import optimizers
from conformance.strategies.pytrees import params, trees
from conformance.train_state_checks import (
    Context,
    Tree,
    bitwise_difference,
    observe,
    train_state_class,
    tree,
)

pytestmark = [pytest.mark.trainstate_train_state, pytest.mark.trainstate_observed]


@suite_settings()
@given(data=st.data())
def test_replace_returns_a_modified_copy(impl: Implementation, data: st.DataObject) -> None:
    train_state_class(impl)
    opt = data.draw(optimizers(), label="tx")
    p = data.draw(params(), label="params")
    names = data.draw(
        st.lists(st.sampled_from(CANONICAL_FIELDS), min_size=1, max_size=5, unique=True),
        label="fields replaced",
    )
    ctx = Context(impl, {"tx": opt, "params": p.spec, "replaced": ",".join(names)})
    new_params = data.draw(trees(p.spec), label="new params").tree
    new_step = data.draw(st.integers(1, 1000), label="new step")
    seen = observe(
        ctx,
        "replace",
        tx=opt,
        params=Tree(p.tree),
        new_params=Tree(new_params),
        new_step=new_step,
        names=names,
    )
    sent = {
        "step": expected_tree(new_step),
        "params": expected_tree(new_params),
        "opt_state": expected_tree(opt.tx.init(new_params)),
    }
    assert not seen["same_object"], (
        f"{impl.name}: replace returned the state it was called on, expected a new state {ctx}"
    )
    assert seen["same_type"], (
        f"{impl.name}: replace returned a {seen['new_type']}, expected a {seen['type']} {ctx}"
    )
    for name in CANONICAL_FIELDS:
        got = seen["fields"][name]
        replaced = name in names
        role = "replaced" if replaced else "not replaced"
        if name in STATIC_FIELDS:
            assert got["identical"], (
                f"{impl.name}: after replace, the copy's {name} ({role}) is not the expected "
                f"object {ctx}"
            )
            continue
        want = sent[name] if replaced else tree(seen["original"][name])
        diff = bitwise_difference(tree(got["tree"]), want)
        assert diff is None, (
            f"{impl.name}: after replace, the copy's {name} ({role}) is wrong: {diff} {ctx}"
        )
    for name in CANONICAL_FIELDS:
        now = seen["now"][name]
        if name in STATIC_FIELDS:
            assert now["identical"], (
                f"{impl.name}: replace replaced the original state's {name}; it must return a "
                f"modified copy and leave the original unchanged {ctx}"
            )
        else:
            diff = bitwise_difference(tree(now["tree"]), tree(seen["original"][name]))
            assert diff is None, (
                f"{impl.name}: replace changed the original state's {name}: {diff}; it must "
                f"return a modified copy and leave the original unchanged {ctx}"
            )
