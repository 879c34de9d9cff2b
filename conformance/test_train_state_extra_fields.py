"""A subclass's own fields behave as Flax's dataclass fields do.

Real TrainState classes add fields (``batch_stats``, ``dynamic_scale``,
``target_params``, a dropout ``key``, a static ``logits_fn``), most of them
required by ``create``; every ``create`` of the suite passes a value for each
(the module's ``trainstate_fields(params)``, or the suite's choice from the
field's declaration: :mod:`conformance.properties.extra_fields`).  Flax's
``struct`` dataclass then promises, for each extra field:

- ``create`` sets it, and ``apply_gradients(grads=...)`` carries it unchanged
  (it calls ``self.replace``);
- ``apply_gradients(grads=..., field=value)`` replaces it;
- ``jax.jit(lambda s, g: s.apply_gradients(grads=g))`` and a
  ``tree_flatten``/``tree_unflatten`` round trip keep it;
- a field declared static (``pytree_node=False``) is part of the tree
  structure, never a leaf: another value gives another structure; a pytree
  field's leaves are the state's leaves.

Fields with a default that the module does not name are followed through
their default.  What the fields hold is seen in the implementation's process.
"""

from __future__ import annotations

from hypothesis import strategies as st

from conformance.properties import train_state as ts


@ts.property(pins=ts.pins((1,)), case=ts.cases(k=st.just(1)))
def test_extra_fields_are_carried_replaced_and_kept_as_declared(
    impl: ts.Implementation, case: ts.Case
) -> None:
    cls = ts.train_state_class(impl)
    if not cls.extra_fields:
        raise ts.DoesNotApply(f"{impl.name}'s TrainState has no fields beyond Flax's five")
    opt, p, (g,) = case.tx, case.params, case.grads.trees
    ctx = ts.Context(
        impl,
        {
            "tx": opt,
            "params": p.spec,
            "fields": ", ".join(f"{f.name}: {f.value}" for f in cls.extra_fields),
        },
    )
    seen = ts.observe(ctx, "extra_fields", tx=opt, params=ts.Tree(p.tree), grads=ts.Tree(g))
    for field in cls.extra_fields:
        got = seen["fields"][field.name]
        value = got["value"]
        for key, what in (
            ("created", "create(..., {name}=...) did not set it"),
            ("carried", "apply_gradients(grads=...) did not carry it unchanged"),
            ("jitted", "jax.jit(lambda s, g: s.apply_gradients(grads=g)) did not keep it"),
            ("round_trip", "a tree_flatten/tree_unflatten round trip did not keep it"),
        ):
            assert got[key], (
                f"{impl.name}: {what.format(name=field.name)}: the extra field {field.name} "
                f"(declared {field.annotation or '?'}) should stay {value}, as a Flax struct "
                f"field does, but it is {got['became'].get(key, '?')} {ctx}"
            )
        if got["replaced"] is not None:
            assert got["replaced"], (
                f"{impl.name}: apply_gradients(grads=..., {field.name}=...) did not set "
                f"{field.name} to {got['alternative']} on the new state, where it is "
                f"{got['became'].get('replaced', '?')}; **kwargs must replace fields as in "
                f"Flax's self.replace(..., **kwargs) {ctx}"
            )
        if got["static"]:
            assert not got["in_leaves"], (
                f"{impl.name}: the field {field.name} is declared static (pytree_node=False) "
                f"but its value {', '.join(got['in_leaves'])} is a leaf of the state's tree; "
                f"static fields belong to the tree structure {ctx}"
            )
            other = got.get("same_structure_for_other")
            assert other is None or other is False, (
                f"{impl.name}: the field {field.name} is declared static, yet a state with "
                f"{field.name}={got.get('alternative')} has the same tree structure as one with "
                f"{value} ({other}); a static field's value is part of the structure, so that "
                f"jax.jit retraces for a new one {ctx}"
            )
        else:
            assert got["missing_leaves"] == 0, (
                f"{impl.name}: {got['missing_leaves']} leaves of the pytree field {field.name} "
                f"({value}) are not leaves of the state's tree, so jax.jit and tree_map do not "
                f"see them {ctx}"
            )
