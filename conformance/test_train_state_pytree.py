"""The state is a pytree: ``step``, ``params``, ``opt_state`` children; ``apply_fn``, ``tx`` static.

- Flattening and unflattening rebuilds an equal state of the same class, with
  the same ``apply_fn`` and ``tx`` objects.
- ``apply_fn`` and ``tx`` are static: no leaf is a function or a
  ``GradientTransformation``, they are part of the tree structure (states
  that differ only in ``tx`` or ``apply_fn`` have different structures), and
  states that differ only in values have equal structures (so ``jax.jit``
  reuses its compile).  Every leaf of ``params`` and ``opt_state`` and the
  step are leaves of the state.
"""

from __future__ import annotations

import jax
import optax
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.implementations import Implementation
from conformance.profiles import suite_settings
from conformance.train_state_checks import (
    PYTREE_FIELDS,
    STATIC_FIELDS,
    Context,
    apply_fn_b,
    apply_gradients,
    bitwise_difference,
    create,
    get_field,
    raised,
    train_state_class,
    type_name,
)
from strategies.optimizers import optimizers
from strategies.pytrees import grad_sequences, params, trees

pytestmark = pytest.mark.train_state


def _flatten(ctx: Context, state: object) -> tuple[list[object], object]:
    try:
        leaves, treedef = jax.tree_util.tree_flatten(state)
    except Exception as exc:
        raise AssertionError(
            f"{ctx.name}: jax.tree_util.tree_flatten(state) raised {raised(exc)} {ctx}"
        ) from exc
    assert not (len(leaves) == 1 and leaves[0] is state), (
        f"{ctx.name}: the state is not a pytree: jax.tree_util.tree_flatten sees the whole "
        f"{type_name(type(state))} as one leaf (register it, e.g. flax.struct.PyTreeNode, "
        f"jax.tree_util.register_dataclass, eqx.Module), so jax.jit and jax.tree_util.tree_map "
        f"cannot handle it {ctx}"
    )
    return leaves, treedef


@suite_settings()
@given(data=st.data())
def test_flatten_unflatten_round_trip(impl: Implementation, data: st.DataObject) -> None:
    cls = train_state_class(impl)
    opt = data.draw(optimizers(), label="tx")
    p = data.draw(params(), label="params")
    k = data.draw(st.integers(0, 2), label="k (apply_gradients calls before flattening)")
    seq = data.draw(grad_sequences(p.spec, k), label="grads (one tree per call)")
    ctx = Context(impl, {"tx": opt, "params": p.spec, "k": k})
    state = create(ctx, cls, params=p.tree, tx=opt.tx)
    for i, g in enumerate(seq.trees, start=1):
        state = apply_gradients(ctx, state, g, call=i)

    leaves, treedef = _flatten(ctx, state)
    try:
        rebuilt = jax.tree_util.tree_unflatten(treedef, leaves)
    except Exception as exc:
        raise AssertionError(
            f"{impl.name}: jax.tree_util.tree_unflatten(treedef, leaves) of the state's own "
            f"flattening raised {raised(exc)} {ctx}"
        ) from exc
    assert type(rebuilt) is type(state), (
        f"{impl.name}: unflattening the state's flattening gave a {type_name(type(rebuilt))}, "
        f"expected a {type_name(type(state))} {ctx}"
    )
    for name in PYTREE_FIELDS:
        diff = bitwise_difference(get_field(ctx, rebuilt, name), get_field(ctx, state, name))
        assert diff is None, (
            f"{impl.name}: flatten/unflatten round trip changed {name}: {diff} {ctx}"
        )
    for name in STATIC_FIELDS:
        assert get_field(ctx, rebuilt, name) is get_field(ctx, state, name), (
            f"{impl.name}: flatten/unflatten round trip did not give back the same {name} "
            f"object {ctx}"
        )


@suite_settings()
@given(data=st.data())
def test_apply_fn_and_tx_are_static(impl: Implementation, data: st.DataObject) -> None:
    cls = train_state_class(impl)
    opt = data.draw(optimizers(), label="tx")
    p = data.draw(params(), label="params")
    other = data.draw(trees(p.spec), label="other params values (same structure)")
    ctx = Context(impl, {"tx": opt, "params": p.spec})
    tx = opt.tx
    state = create(ctx, cls, params=p.tree, tx=tx)
    leaves, treedef = _flatten(ctx, state)

    bad = [
        leaf for leaf in leaves if callable(leaf) or isinstance(leaf, optax.GradientTransformation)
    ]
    assert not bad, (
        f"{impl.name}: the state's pytree leaves include {', '.join(repr(b)[:60] for b in bad)}: "
        f"apply_fn and tx must be static fields (pytree_node=False in Flax), not leaves, or "
        f"jax.jit cannot take the state {ctx}"
    )
    ids = {id(leaf) for leaf in leaves}
    for name in ("params", "opt_state"):
        missing = [
            jax.tree_util.keystr(path)
            for path, leaf in jax.tree_util.tree_flatten_with_path(get_field(ctx, state, name))[0]
            if id(leaf) not in ids
        ]
        assert not missing, (
            f"{impl.name}: {name} leaves {', '.join(missing)} are not leaves of the state's "
            f"pytree: step, params and opt_state must be pytree children (traced by jax.jit), "
            f"not static {ctx}"
        )
    assert len(leaves) >= 1 + len(jax.tree_util.tree_leaves((state.params, state.opt_state))), (
        f"{impl.name}: the state has {len(leaves)} pytree leaves, too few to hold step, params "
        f"and opt_state {ctx}"
    )

    same_statics = create(ctx, cls, params=other.tree, tx=tx)
    assert jax.tree_util.tree_structure(same_statics) == treedef, (
        f"{impl.name}: two states with the same apply_fn and tx and params of the same "
        f"structure have different pytree structures, so jax.jit would recompile for new "
        f"values: only apply_fn and tx (and no values) may be static {ctx}"
    )
    for name, kwargs in (
        ("tx", {"tx": opt.fresh_tx()}),
        ("apply_fn", {"tx": tx, "apply_fn": apply_fn_b}),
    ):
        changed = create(ctx, cls, params=p.tree, **kwargs)
        assert jax.tree_util.tree_structure(changed) != treedef, (
            f"{impl.name}: states that differ only in {name} have the same pytree structure: "
            f"{name} is not part of the structure, i.e. not a static field (Flax: "
            f"struct.field(pytree_node=False)) {ctx}"
        )
