"""A subclass of the class keeps its own fields, as a subclass of Flax's TrainState does.

Flax's documentation extends ``TrainState`` by subclassing it
(``class TrainState(train_state.TrainState): batch_stats: Any``), and its
``create`` and ``apply_gradients`` serve every subclass: ``create`` builds
``cls(...)`` with the extra keyword fields, ``apply_gradients`` returns
``self.replace(...)``.  A class that rebuilds its state by hand,
``TrainState(step=..., ...)`` or ``type(self)`` of its five fields, is right
for itself and loses every field a subclass adds.  So the suite makes
``class Subclass(TrainState): subclass_field: Any = None`` in the
implementation's process and checks, for a state created with a value of
that field:

- ``Subclass.create`` returns a ``Subclass`` holding the value;
- ``apply_gradients(grads=...)`` returns a ``Subclass`` that still holds it,
  with the step, params and opt_state of the class's own update;
- a flatten/unflatten round trip of that state keeps its type and field.

It applies where plain subclassing makes ``subclass_field`` a dataclass
field (Flax's ``struct.PyTreeNode`` classes, ``eqx.Module``): a class whose
subclasses need a decorator of their own is extended in a way the suite
cannot know.  What the subclass's states hold is seen in the implementation's
process.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from conformance.properties import train_state as ts
from conformance.strategies.optax_catalogue import JIT_OPTIMIZER_NAMES
from conformance.strategies.optimizers import optimizers
from conformance.strategies.tree_specs import jit_specs

SUBCLASS_VALUE = {"count": np.array([2.5, -1.0], np.float32)}
"""The subclass field's value: a pytree unlike its default ``None``, as ``batch_stats`` is."""
SHOWN_VALUE = "{'count': float32[2.5, -1.0]}"


@ts.property(
    pins=ts.pins((1,)),
    case=ts.cases(
        tx=optimizers(names=JIT_OPTIMIZER_NAMES, default_hyperparams=True),
        specs=jit_specs(),
        k=st.just(1),
    ),
)
def test_a_subclass_keeps_its_own_fields(impl: ts.Implementation, case: ts.Case) -> None:
    cls = ts.train_state_class(impl)
    opt, p, (g,) = case.tx, case.params, case.grads.trees
    ctx = ts.Context(impl, {"tx": opt, "params": p.spec, "subclass_field": SHOWN_VALUE})
    seen = ts.observe(
        ctx,
        "subclass",
        tx=opt,
        params=ts.Tree(p.tree),
        grads=ts.Tree(g),
        value=ts.Tree(SUBCLASS_VALUE),
    )
    if not seen["extended"]:
        raise ts.DoesNotApply(
            f"{impl.name}'s TrainState is not extended by plain subclassing: in class "
            "Subclass(TrainState): subclass_field: Any = None, subclass_field is no dataclass "
            "field, as for a class whose subclasses need a decorator of their own"
        )
    made = "Subclass.create(..., subclass_field=...), where class Subclass(TrainState): "
    made += "subclass_field: Any = None,"
    created = seen["created"]
    assert created["is_sub"], (
        f"{impl.name}: {made} returned a {created['type']}, not a Subclass; create must build "
        f"cls(...), as Flax's does, so that it serves subclasses {ctx}"
    )
    if not created["field"]:
        if cls.drawable_fields:
            raise ts.Blocked(
                "create(**kwargs) does not set the fields it is given, which "
                "test_create_passes_extra_fields judges on the class's own fields",
                str(ctx),
            )
        raise AssertionError(
            f"{impl.name}: {made} did not set subclass_field; create must pass **kwargs on to "
            f"cls(...), as Flax's does {ctx}"
        )
    updated, plain = seen["updated"], seen["plain"]
    on = "apply_gradients(grads=...) on a Subclass state"
    assert updated["is_sub"], (
        f"{impl.name}: {on} returned a {updated['type']}; it must return a state of the type it "
        f"was called on (Flax's returns self.replace(...)), or every subclass loses its "
        f"fields {ctx}"
    )
    assert updated["field_kept"], (
        f"{impl.name}: {on} did not carry subclass_field: it is {updated['field']}, expected "
        f"{SHOWN_VALUE}; a state rebuilt from Flax's five fields loses a subclass's own "
        f"(Flax's apply_gradients returns self.replace(...)) {ctx}"
    )
    for name in ("params", "opt_state"):
        diff = ts.bitwise_difference(ts.tree(updated[name]), ts.tree(plain[name]))
        assert diff is None, (
            f"{impl.name}: {on} gave other {name} than the class's own update of the same "
            f"state: {diff} {ctx}"
        )
    assert ts.leaf(updated["step"]).same_bits(ts.leaf(plain["step"])), (
        f"{impl.name}: {on} gave step {ts.leaf(updated['step'])}, but the class's own update "
        f"gives {ts.leaf(plain['step'])} {ctx}"
    )
    rebuilt = seen["rebuilt"]
    assert rebuilt["is_sub"] and rebuilt["field_kept"], (
        f"{impl.name}: a tree_flatten/tree_unflatten round trip of an updated Subclass state "
        f"gave a {rebuilt['type']}"
        f"{'' if rebuilt['field_kept'] else ' without its subclass_field'}; a subclass must "
        f"be the same pytree as the class, its own fields included {ctx}"
    )
