"""The state is a pytree: ``step``, ``params``, ``opt_state`` children; ``apply_fn``, ``tx`` static.

- Flattening and unflattening rebuilds an equal state of the same class, with
  the same ``apply_fn`` and ``tx`` objects; and JAX can rebuild it with leaves
  that are not arrays (``jax.eval_shape``: abstract restore targets, sharding
  specs), so its constructor must not check its fields' types.
- ``apply_fn`` and ``tx`` are static: no leaf is a function or a
  ``GradientTransformation``, they are part of the tree structure (states
  that differ only in ``tx`` or ``apply_fn`` have different structures), and
  states that differ only in values have equal structures (so ``jax.jit``
  reuses its compile).  Every leaf of ``params`` and ``opt_state`` and the
  step are leaves of the state.

Flattening happens in the implementation's process, which reports what it saw.
"""

from __future__ import annotations

from hypothesis import strategies as st

from conformance.properties import train_state as ts


@ts.property(pins=ts.pins((0, 2)), case=ts.cases(k=st.integers(0, 2)))
def test_flatten_unflatten_round_trip(impl: ts.Implementation, case: ts.Case) -> None:
    opt, p, seq, k = case.tx, case.params, case.grads, case.k
    ctx = ts.Context(impl, {"tx": opt, "params": p.spec, "k": k})
    seen = ts.observe(
        ctx, "round_trip", tx=opt, params=ts.Tree(p.tree), grads=[ts.Tree(g) for g in seq.trees]
    )
    assert seen["same_type"], (
        f"{impl.name}: unflattening the state's flattening gave a {seen['rebuilt_type']}, "
        f"expected a {seen['type']} {ctx}"
    )
    assert seen["abstract_type"] == seen["type"], (
        f"{impl.name}: jax.eval_shape(lambda state: state, state) gave a "
        f"{seen['abstract_type']}, expected a {seen['type']} {ctx}"
    )
    ts.check_unchanged(
        ctx,
        seen["state"],
        seen["rebuilt"],
        lambda name, diff: f"flatten/unflatten round trip changed {name}: {diff}",
    )
    ts.check_each(
        ctx,
        seen["statics_kept"],
        lambda name: f"flatten/unflatten round trip did not give back the same {name} object",
    )


@ts.property(
    pins=ts.pins((0,), other=True),
    updates=False,
    case=ts.cases(other=True),
)
def test_apply_fn_and_tx_are_static(impl: ts.Implementation, case: ts.Case) -> None:
    opt, p, other = case.tx, case.params, case.other
    assert other is not None
    ctx = ts.Context(impl, {"tx": opt, "params": p.spec})
    seen = ts.observe(
        ctx, "static_fields", tx=opt, params=ts.Tree(p.tree), other_params=ts.Tree(other.tree)
    )
    assert not seen["bad_leaves"], (
        f"{impl.name}: the state's pytree leaves include {', '.join(seen['bad_leaves'])}: "
        f"apply_fn and tx must be static fields (pytree_node=False in Flax), not leaves, or "
        f"jax.jit cannot take the state {ctx}"
    )
    not_leaves = [name + path for name, paths in seen["missing"].items() for path in paths]
    assert not not_leaves, (
        f"{impl.name}: the state's pytree leaves do not include {', '.join(not_leaves)}: "
        f"step, params and opt_state must be pytree children (traced by jax.jit), not static "
        f"{ctx}"
    )
    assert seen["leaves"] >= seen["needed"], (
        f"{impl.name}: the state has {seen['leaves']} pytree leaves, too few to hold step, "
        f"params and opt_state {ctx}"
    )
    same = seen["same_structure_for_other_values"]
    assert same is True, (
        f"{impl.name}: two states with the same apply_fn and tx and params of the same "
        f"structure have different pytree structures"
        f"{f' ({same})' if isinstance(same, str) else ''}, so jax.jit would recompile for new "
        f"values: only apply_fn and tx (and no values) may be static {ctx}"
    )
    for name, same in seen["same_structure_for_other"].items():
        assert same is False, (
            f"{impl.name}: states that differ only in {name} have the same pytree structure"
            f"{f' ({same})' if isinstance(same, str) else ''}: {name} is not part of the "
            f"structure, i.e. not a static field (Flax: struct.field(pytree_node=False)) {ctx}"
        )
