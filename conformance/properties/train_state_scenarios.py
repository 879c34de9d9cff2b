"""The suite's fixed scenario code for TrainState classes, run where the class lives.

A TrainState property cannot send a class's instances to the judge: they are
objects of the implementation's own code.  So each property names a
scenario here, which the hosting process runs on the class with the inputs
the property drew (trees rebuilt by :mod:`conformance.isolation.trees`, the
Optax transformation rebuilt from :mod:`conformance.strategies.optax_catalogue`), and
returns what it observed as plain data: trees described leaf by leaf, steps,
exceptions, and facts that can only be seen where the objects are (``new is
state``, ``state.tx is tx``, a refused assignment, a traced ``jax.jit``).
The judge compares the numbers with its own Optax loop; the facts it can only
take as reported, which the verdict says (see the README's trust model).

A scenario that cannot go on (the implementation raised, a field is missing)
raises :class:`Stop` with what happened; :func:`run` returns it as
``{"stopped": ...}``.  Each scenario names the calls that are its subject
(:data:`SUBJECTS`); any other call it makes is a prerequisite (``create``
before an update, a plain update before one with keyword fields), and a Stop
there is ``"blocking"``: the property is blocked by that call's failure, which
the property whose subject it is reports.  A scenario that expects a call to
raise first makes the same call without the fault (the control), so that an
exception raised for another reason never passes for the expected one; one
that expects its subject call to succeed makes the control only when it
raises (:meth:`Scenario.update_or_block`), to tell a class that cannot update
at all from one that fails this call.

Every ``create`` also gets the values of the class's extra fields
(:mod:`conformance.properties.extra_fields`).
"""

from __future__ import annotations

import dataclasses
import functools
import traceback
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from conformance.isolation.descriptions import (
    APPLY_GRADIENTS_ARGUMENTS,
    CANONICAL_FIELDS,
    PYTREE_FIELDS,
    STATIC_FIELDS,
    class_name,
    describe_exception,
)
from conformance.isolation.trees import (
    describe_leaf,
    describe_tree,
    key_data,
    show_array,
    unpack_tree,
)
from conformance.properties.extra_fields import (
    FieldValues,
    other_stand_in_function,
    other_transformation,
    stand_in_function,
)
from conformance.strategies.optax_catalogue import CATALOGUE, build

SCENARIO_CALLS: tuple[str, ...] = ("create", "apply_gradients")
"""The calls into the class a scenario counts (``answer["calls"]``), for what a verdict costs."""


def apply_fn_a(variables: Any, x: Any) -> Any:
    """A stand-in ``apply_fn``: the properties only check that it is kept, never call it."""
    return x


def apply_fn_b(variables: Any, x: Any) -> Any:
    """A second stand-in, for properties that replace ``apply_fn``."""
    return -x


@functools.cache
def _dense_apply() -> Callable[..., Any]:
    from conformance.reference.recipe import MODEL

    return MODEL.apply


APPLY_FNS: dict[str, Callable[[], Callable[..., Any] | None]] = {
    "a": lambda: apply_fn_a,
    "b": lambda: apply_fn_b,
    "dense": _dense_apply,
    # Flax takes any apply_fn and never calls it; code that applies the model elsewhere
    # passes None.
    "none": lambda: None,
}


class Stop(Exception):
    """The scenario cannot go on; ``observed`` says why (returned to the judge)."""

    def __init__(self, observed: dict[str, Any]) -> None:
        super().__init__(observed)
        self.observed = observed


def _kind(what: str) -> str:
    """The kind of a call named ``what`` (``"apply_gradients 2"`` is an ``apply_gradients``)."""
    return what.split(" ", 1)[0]


@dataclasses.dataclass
class Scenario:
    """The class under test, the decoded inputs, and how to call into the implementation.

    ``subject``: the kinds of call (:func:`_kind`) the scenario is about; a
    failure of any other call blocks the scenario instead of failing it.
    """

    cls: type[Any]
    fields: FieldValues | None
    inputs: dict[str, Any]
    let_through: tuple[type[BaseException], ...]
    subject: frozenset[str] = frozenset()
    calls: dict[str, int] = dataclasses.field(
        default_factory=lambda: dict.fromkeys(SCENARIO_CALLS, 0)
    )

    def counted(self, name: str) -> None:
        """One more call of ``create`` or ``apply_gradients``, made or attempted."""
        self.calls[name] += 1

    def tx(self, key: str = "tx") -> optax.GradientTransformation:
        name, hyperparams = self.inputs[key]
        return build(name, tuple(tuple(pair) for pair in hyperparams))

    def fresh_tx(self) -> optax.GradientTransformation:
        name, hyperparams = self.inputs["tx"]
        return CATALOGUE[name].build(**dict(tuple(pair) for pair in hyperparams))

    def tree(self, key: str) -> Any:
        return unpack_tree(self.inputs[key])

    def trees(self, key: str) -> list[Any]:
        return [unpack_tree(packed) for packed in self.inputs[key]]

    def stop(self, what: str, observed: dict[str, Any]) -> Stop:
        return Stop({**observed, "blocking": _kind(what) not in self.subject})

    def call(self, what: str, function: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """``function(*args, **kwargs)``; if it raises, the scenario stops and says where,
        with the keywords passed.  Positional-only, like :meth:`attempt` and :meth:`update`,
        so that ``kwargs`` can name any field of a class (``what``, ``state``...)."""
        try:
            return function(*args, **kwargs)
        except BaseException as exc:
            if isinstance(exc, self.let_through):
                raise
            raise self.stop(
                what,
                {
                    "kind": "raised",
                    "call": what,
                    "keywords": list(kwargs),
                    "exception": describe_exception(exc),
                },
            ) from None

    def attempt(self, function: Callable[..., Any], /, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """What ``function(*args, **kwargs)`` did: ``{"raised": ...}`` or ``{"returned": ...}``."""
        try:
            result = function(*args, **kwargs)
        except BaseException as exc:
            if isinstance(exc, self.let_through):
                raise
            return {"raised": describe_exception(exc)}
        return {"returned": describe_value(result)}

    def extra(self, params: Any) -> dict[str, Any]:
        """The extra fields' values ``create`` gets for ``params``."""
        if self.fields is None:
            return {}
        return self.call("create values", self.fields.for_params, params)  # type: ignore[no-any-return]

    def create(
        self,
        params: Any,
        tx: Any,
        apply_fn: str = "a",
        values: dict[str, Any] | None = None,
        /,
        **kwargs: Any,
    ) -> Any:
        """``create`` with the extra fields' ``values`` (computed here when not given, so that a
        scenario making a control and a faulty call asks the module's hook once) and ``kwargs``
        over them. Positional-only, so that ``kwargs`` can name any field."""
        if values is None:
            values = self.extra(params)
        self.counted("create")
        return self.call(
            "create",
            # Looked up inside the call: a class without create fails this call, which
            # blocks what needs a state, instead of stopping every scenario on its own.
            lambda **keywords: self.cls.create(**keywords),
            apply_fn=APPLY_FNS[apply_fn](),
            params=params,
            tx=tx,
            **{**values, **kwargs},
        )

    def update(
        self,
        state: Any,
        grads: Any,
        index: int = 1,
        what: str = "apply_gradients",
        /,
        **kwargs: Any,
    ) -> Any:
        self.counted("apply_gradients")
        return self.call(f"{what} {index}", _apply_gradients(self, state), grads=grads, **kwargs)

    def update_or_block(
        self,
        state: Any,
        grads: Any,
        what: str,
        control: Callable[[], Any] | None = None,
        /,
        **kwargs: Any,
    ) -> Any:
        """The subject call ``apply_gradients(grads=grads, **kwargs)`` on ``state``.  Where it
        raises, the plain ``apply_gradients(grads=grads)`` is made (on the state ``control()``
        makes, by default ``state``), and if that raises too the scenario is blocked by it: a
        class that cannot update at all fails once, in the property that owns plain updates.
        Made only then, so that a class that updates costs one call, not two."""
        try:
            return self.update(state, grads, 1, what, **kwargs)
        except Stop:
            self.update(state if control is None else control(), grads, 1, "control")
            raise

    def update_with_fields(self, state: Any, grads: Any, /, **fields: Any) -> Any:
        """``apply_gradients(grads=..., **fields)``, a subject call (:meth:`update_or_block`).
        Where it raises, and so does the plainest such call, ``apply_gradients(grads=...,
        apply_fn=<the state's own>)``, the class takes no field keywords at all:
        ``update_with_fields``'s property fails on that, and the scenario making this call is
        blocked by the plainest call's failure."""
        try:
            return self.update_or_block(state, grads, "apply_gradients_with_fields", **fields)
        except Stop as stop:
            if stop.observed.get("blocking"):
                raise
            own = self.field(state, "apply_fn")
            self.counted("apply_gradients")
            update = _apply_gradients(self, state)
            self.call("keywords_control 1", update, grads=grads, apply_fn=own)
            raise

    def field(self, state: Any, name: str) -> Any:
        try:
            return getattr(state, name)
        except BaseException as exc:
            if isinstance(exc, self.let_through):
                raise
            observed = {"kind": "missing_field", "field": name}
            raise self.stop("field", {**observed, "exception": describe_exception(exc)}) from None


def _apply_gradients(s: Scenario, state: Any) -> Callable[..., Any]:
    return s.field(state, "apply_gradients")  # type: ignore[no-any-return]


def describe_value(value: Any) -> str:
    """A short description of any object, for the judge's messages."""
    shape = getattr(value, "shape", None)
    dtype = getattr(value, "dtype", None)
    if shape is not None and dtype is not None:
        data = key_data(value)
        try:
            shown = show_array(np.asarray(value) if data is None else data)
        except Exception:
            shown = "?"
        return f"{type(value).__name__}(dtype={dtype}, shape={tuple(shape)}) = {shown}"
    if hasattr(value, "apply_gradients"):
        step = getattr(value, "step", "?")
        return f"a state of class {class_name(type(value))} with step={step!r:.40}"
    if callable(value) and hasattr(value, "__qualname__"):
        return f"the function {getattr(value, '__module__', '?')}.{value.__qualname__}"
    if isinstance(value, (int, float, str, bool)) or value is None:
        return f"{type(value).__name__} {value!r:.60}"
    return f"a {class_name(type(value))}{_contents(value)}"


SHOWN_LEAVES = 3
"""Leaves of a pytree value written out in a message; the rest are counted."""


def _contents(value: Any) -> str:
    """`` {path: leaf, ...}`` of a pytree value, so that a message about its contents shows
    them, not only its type; empty for a value JAX does not see into."""
    try:
        paths, _ = jax.tree_util.tree_flatten_with_path(value)
    except Exception:
        return ""
    if len(paths) == 1 and not paths[0][0]:
        return ""
    shown = [
        f"{jax.tree_util.keystr(path)}: {describe_value(leaf)}"
        for path, leaf in paths[:SHOWN_LEAVES]
    ]
    more = len(paths) - SHOWN_LEAVES
    return " {" + ", ".join(shown) + (f", ... {more} more leaves" if more > 0 else "") + "}"


def _observed_value(value: Any, sent: Any) -> dict[str, Any]:
    """A field's value as the judge compares it with what it sent."""
    return {"identical": value is sent, "tree": describe_tree(value), "text": describe_value(value)}


def _fields(scenario: Scenario, state: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: describe_tree(scenario.field(state, name)) for name in names}


def _step(scenario: Scenario, state: Any) -> dict[str, Any]:
    return describe_leaf(scenario.field(state, "step"))


def _zero_grads(params: Any) -> Any:
    """Gradients that match ``params``' structure, containers included: the control update."""
    return jax.tree_util.tree_map(jnp.zeros_like, params)


# --------------------------------------------------------------------------- scenarios


def create(s: Scenario) -> dict[str, Any]:
    params, tx, apply_fn = s.tree("params"), s.tx(), str(s.inputs.get("apply_fn", "a"))
    values = s.extra(params)
    state = s.create(params, tx, apply_fn, values)
    # Traced, as jax.jit(create_train_state) and sharded initialisation (jax.eval_shape for
    # the state's shapes) trace it: no program is compiled.
    traced = s.attempt(
        jax.eval_shape,
        lambda p: s.cls.create(apply_fn=APPLY_FNS[apply_fn](), params=p, tx=tx, **values),
        params,
    )
    return {
        "traced": traced,
        "is_cls": type(state) is s.cls,
        "type": class_name(type(state)),
        "step": _step(s, state),
        "params": describe_tree(s.field(state, "params")),
        "opt_state": describe_tree(s.field(state, "opt_state")),
        "apply_fn_kept": s.field(state, "apply_fn") is APPLY_FNS[apply_fn](),
        "apply_fn": describe_value(state.apply_fn),
        "tx_kept": s.field(state, "tx") is tx,
        "tx": describe_value(state.tx),
        "params_passed_after": describe_tree(params),
    }


def positional_grads(s: Scenario) -> dict[str, Any]:
    state = s.create(s.tree("params"), s.tx())
    s.update(state, s.tree("grads"), 1, "control")
    before = _fields(s, state, PYTREE_FIELDS)
    s.counted("apply_gradients")
    outcome = s.attempt(_apply_gradients(s, state), s.tree("grads"))
    return {"outcome": outcome, "before": before, "after": _fields(s, state, PYTREE_FIELDS)}


def positional_create(s: Scenario) -> dict[str, Any]:
    params, tx = s.tree("params"), s.tx()
    values = s.extra(params)
    s.create(params, tx, "a", values)
    s.counted("create")
    return {"outcome": s.attempt(s.cls.create, apply_fn_a, params, tx, **values)}


def create_extra_fields(s: Scenario) -> dict[str, Any]:
    params, tx = s.tree("params"), s.tx()
    required = s.extra(params)
    s.create(params, tx, "a", required)
    values = {name: unpack_tree(packed) for name, packed in s.inputs["extra"].items()}
    s.counted("create")
    state = s.call("create_with_fields", s.cls.create, apply_fn=apply_fn_a, params=params,
                   tx=tx, **{**required, **values})  # fmt: skip
    created = {name: _observed_value(s.field(state, name), v) for name, v in values.items()}
    new = s.update(state, s.tree("grads"))
    updated = {name: _observed_value(s.field(new, name), v) for name, v in values.items()}
    return {"created": created, "updated": updated}


def create_unknown_field(s: Scenario) -> dict[str, Any]:
    params, tx = s.tree("params"), s.tx()
    values = s.extra(params)
    s.create(params, tx, "a", values)
    s.counted("create")
    outcome = s.attempt(
        s.cls.create,
        apply_fn=apply_fn_a,
        params=params,
        tx=tx,
        **values,
        **{s.inputs["field"]: s.inputs["value"]},
    )
    return {"outcome": outcome}


def step_count(s: Scenario) -> dict[str, Any]:
    state = s.create(s.tree("params"), s.tx())
    calls = []
    start = _step(s, state)
    for i, grads in enumerate(s.trees("grads"), start=1):
        new = s.update(state, grads, i)
        calls.append(
            {
                "same_type": type(new) is type(state),
                "type": class_name(type(new)),
                "called_on": class_name(type(state)),
                "step": _step(s, new),
            }
        )
        state = new
    return {"start": start, "calls": calls}


def trajectory(s: Scenario) -> dict[str, Any]:
    state = s.create(s.tree("params"), s.tx())
    after = []
    for i, grads in enumerate(s.trees("grads"), start=1):
        state = s.update(state, grads, i)
        after.append(_fields(s, state, ("params", "opt_state")))
    return {"after": after}


def low_precision_update(s: Scenario) -> dict[str, Any]:
    """Updates of low-precision params; where the first raises, the same update of their float32
    copy is the control (a class that cannot update at all is blocked, not failed, here)."""
    tx, params, (first, *later) = s.tx(), s.tree("params"), s.trees("grads")

    def float32_state() -> Any:
        as_float32 = jax.tree_util.tree_map(lambda leaf: jnp.asarray(leaf, jnp.float32), params)
        return s.create(as_float32, tx)

    state = s.update_or_block(s.create(params, tx), first, "low_precision", float32_state)
    after = [_fields(s, state, ("params", "opt_state"))]
    for i, grads in enumerate(later, start=2):
        state = s.update(state, grads, i)
        after.append(_fields(s, state, ("params", "opt_state")))
    return {"after": after}


def old_state(s: Scenario) -> dict[str, Any]:
    state = s.create(s.tree("params"), s.tx())
    calls = []
    for i, grads in enumerate(s.trees("grads"), start=1):
        before = _fields(s, state, PYTREE_FIELDS)
        statics = {name: s.field(state, name) for name in STATIC_FIELDS}
        new = s.update(state, grads, i)
        calls.append(
            {
                "same_object": new is state,
                "before": before,
                "after": {name: describe_tree(getattr(state, name)) for name in PYTREE_FIELDS},
                "statics_kept": {name: getattr(state, name) is v for name, v in statics.items()},
            }
        )
        state = new
    return {"calls": calls}


def assign_field(s: Scenario) -> dict[str, Any]:
    tx = s.tx()
    state = s.create(s.tree("params"), tx)
    name = s.inputs["field"]
    value: Any
    if name == "step":
        value = s.inputs["value"]
    elif name == "params":
        value = s.tree("value")
    elif name == "opt_state":
        value = tx.init(s.tree("value"))
    elif name == "apply_fn":
        value = apply_fn_b
    else:
        value = s.fresh_tx()
    old = s.field(state, name)
    old_tree = describe_tree(old)
    outcome = s.attempt(setattr, state, name, value)
    now = getattr(state, name)
    return {"outcome": outcome, "unchanged": now is old, "old": old_tree, "now": describe_tree(now)}


def mismatched_grads(s: Scenario) -> dict[str, Any]:
    params = s.tree("params")
    state = s.create(params, s.tx())
    s.update(state, _zero_grads(params), 1, "control")
    s.counted("apply_gradients")
    return {"outcome": s.attempt(_apply_gradients(s, state), grads=s.tree("grads"))}


@functools.cache
def _jitted_apply_gradients(cls: type) -> Callable[[Any, Any], Any]:
    """One jitted function per class.

    Not one shared function: JAX may find the tree structures of two different
    classes equal (two Flax ``struct`` subclasses with the same fields do), and
    then reuse the trace of one class's ``apply_gradients`` for another.
    """
    return jax.jit(lambda state, grads: state.apply_gradients(grads=grads))


def _jit_update(s: Scenario, state: Any, grads: Any, index: int) -> Any:
    _flatten(s, state)
    s.counted("apply_gradients")
    # A class is hashable, but mypy does not see type[Any] as Hashable (python/mypy#11470).
    return s.call(f"jit {index}", _jitted_apply_gradients(s.cls), state, grads)  # type: ignore[arg-type]


def jitted(s: Scenario) -> dict[str, Any]:
    tx = s.tx()
    eager = s.create(s.tree("params"), tx)
    traced = s.create(s.tree("params"), tx)
    start = _step(s, traced)
    calls = []
    for i, grads in enumerate(s.trees("grads"), start=1):
        eager = s.update(eager, grads, i)
        traced = _jit_update(s, traced, grads, i)
        calls.append(
            {
                "is_cls": type(traced) is s.cls,
                "type": class_name(type(traced)),
                "step": _step(s, traced),
                "eager_step": _step(s, eager),
                "jitted": _fields(s, traced, ("params", "opt_state")),
                "eager": _fields(s, eager, ("params", "opt_state")),
                "statics_kept": {
                    name: s.field(traced, name) is s.field(eager, name) for name in STATIC_FIELDS
                },
            }
        )
    return {"start": start, "calls": calls}


def _leaf_ids_by_field(s: Scenario, state: Any) -> dict[str, set[int]]:
    """The ids of the state's leaves by the field their key path starts with (a dataclass
    pytree's ``GetAttrKey``); a class whose paths name no field gives none."""
    with_paths, _ = s.call("tree_flatten_with_path", jax.tree_util.tree_flatten_with_path, state)
    owned: dict[str, set[int]] = {}
    for path, leaf in with_paths:
        name = getattr(path[0], "name", None) if path else None
        if isinstance(name, str):
            owned.setdefault(name, set()).add(id(leaf))
    return owned


def _flatten(s: Scenario, state: Any) -> tuple[list[Any], Any]:
    # A static field's value is part of the structure, which jax.jit hashes and compares:
    # an unhashable one (an array a field's annotation asks for) breaks every use of the
    # tree, and is the extra-field property's failure, once.
    for f in s.fields.fields if s.fields is not None else ():
        if f.static:
            s.call(f"static_hash {f.name}", hash, s.field(state, f.name))
    leaves, treedef = s.call("tree_flatten", jax.tree_util.tree_flatten, state)
    if len(leaves) == 1 and leaves[0] is state:
        raise s.stop("tree_flatten", {"kind": "not_a_pytree", "type": class_name(type(state))})
    return leaves, treedef


def round_trip(s: Scenario) -> dict[str, Any]:
    state = s.create(s.tree("params"), s.tx())
    for i, grads in enumerate(s.trees("grads"), start=1):
        state = s.update(state, grads, i)
    leaves, treedef = _flatten(s, state)
    rebuilt = s.call("tree_unflatten", jax.tree_util.tree_unflatten, treedef, leaves)
    # JAX rebuilds a state with leaves that are no arrays (abstract ShapeDtypeStructs, as
    # restore targets and sharding specs are): a constructor that checks its step's type, say,
    # breaks those.
    abstract = s.call("tree_abstract", jax.eval_shape, lambda state: state, state)
    return {
        "same_type": type(rebuilt) is type(state),
        "abstract_type": class_name(type(abstract)),
        "type": class_name(type(state)),
        "rebuilt_type": class_name(type(rebuilt)),
        "rebuilt": _fields(s, rebuilt, PYTREE_FIELDS),
        "state": _fields(s, state, PYTREE_FIELDS),
        "statics_kept": {
            name: s.field(rebuilt, name) is s.field(state, name) for name in STATIC_FIELDS
        },
    }


def static_fields(s: Scenario) -> dict[str, Any]:
    tx = s.tx()
    state = s.create(s.tree("params"), tx)
    leaves, treedef = _flatten(s, state)
    bad = [
        describe_value(leaf)
        for leaf in leaves
        if callable(leaf) or isinstance(leaf, optax.GradientTransformation)
    ]
    ids = {id(leaf) for leaf in leaves}
    # Read through s.field, so that a class without step (or params) is stopped by that
    # missing field, the cause the create property reports, not judged here on a leaf count.
    children = {name: s.field(state, name) for name in ("step", "params", "opt_state")}
    missing = {
        name: [
            jax.tree_util.keystr(path)
            for path, leaf in jax.tree_util.tree_flatten_with_path(value)[0]
            if id(leaf) not in ids
        ]
        for name, value in children.items()
    }
    needed = len(jax.tree_util.tree_leaves(list(children.values())))
    same_statics = s.create(s.tree("other_params"), tx)
    other_tx = s.create(s.tree("params"), s.fresh_tx())
    other_apply_fn = s.create(s.tree("params"), tx, "b")
    return {
        "bad_leaves": bad,
        "missing": missing,
        "leaves": len(leaves),
        "needed": needed,
        "same_structure_for_other_values": _same_structure(same_statics, treedef),
        "same_structure_for_other": {
            "tx": _same_structure(other_tx, treedef),
            "apply_fn": _same_structure(other_apply_fn, treedef),
        },
    }


def _same_structure(state: Any, treedef: Any) -> bool | str:
    """Whether ``state``'s tree structure equals ``treedef``; what raised if comparing did.

    Comparing structures compares their static data, which raises when that
    data holds arrays (a class that made params static, say).
    """
    try:
        return bool(jax.tree_util.tree_structure(state) == treedef)
    except Exception as exc:
        return f"comparing the tree structures raised {describe_exception(exc)['type']}"


def _moved_opt_state(tx: optax.GradientTransformation, params: Any) -> Any:
    """``tx``'s state after one update with gradients of ones, or ``None`` where ``tx`` needs
    more than grads, state and params to update (a line search's value function)."""
    try:
        grads = jax.tree_util.tree_map(jnp.ones_like, params)
        return tx.update(grads, tx.init(params), params)[1]
    except Exception:
        return None


def replace(s: Scenario) -> dict[str, Any]:
    tx = s.tx()
    params = s.tree("params")
    state = s.create(params, tx)
    moved = _moved_opt_state(tx, params)
    if moved is not None:
        # A state past its first step: a replace(tx=...) that re-initialises opt_state then
        # shows, where at create a fresh init equals the state's own.
        state = s.call("replace", s.field(state, "replace"), opt_state=moved)
    new_params = s.tree("new_params")
    candidates: dict[str, Any] = {
        "step": s.inputs["new_step"],
        "params": new_params,
        "opt_state": tx.init(new_params),
        "apply_fn": apply_fn_b,
        "tx": s.fresh_tx(),
    }
    changes = {name: candidates[name] for name in s.inputs["names"]}
    original = {name: s.field(state, name) for name in CANONICAL_FIELDS}
    original_trees = {name: describe_tree(value) for name, value in original.items()}
    new = s.call("replace", s.field(state, "replace"), **changes)
    fields = {}
    for name in CANONICAL_FIELDS:
        got = s.field(new, name)
        want = changes.get(name, original[name])
        fields[name] = {"identical": got is want, "tree": describe_tree(got)}
    return {
        "same_object": new is state,
        "same_type": type(new) is type(state),
        "type": class_name(type(state)),
        "new_type": class_name(type(new)),
        "fields": fields,
        "original": original_trees,
        "now": {
            name: {
                "identical": getattr(state, name) is value,
                "tree": describe_tree(getattr(state, name)),
            }
            for name, value in original.items()
        },
    }


def update_with_fields(s: Scenario) -> dict[str, Any]:
    tx = s.tx()
    state = s.create(s.tree("params"), tx)
    grads = s.tree("grads")
    values: dict[str, Any] = {"apply_fn": apply_fn_b}
    values.update({name: unpack_tree(packed) for name, packed in s.inputs["extra"].items()})
    old = {name: s.field(state, name) for name in values}
    new = s.update_or_block(state, grads, "apply_gradients_with_fields", **values)
    return {
        "fields": {name: _observed_value(s.field(new, name), v) for name, v in values.items()},
        "start": _step(s, state),
        "step": _step(s, new),
        "after": _fields(s, new, ("params", "opt_state")),
        "tx_kept": s.field(new, "tx") is tx,
        "old_kept": {name: getattr(state, name) is value for name, value in old.items()},
    }


OTHER_LEARNING_RATE = 3.0
"""The learning rate of the ``tx`` passed as a keyword to ``apply_gradients``: an update
unlike any of the catalogue's, so that stepping with it instead of the state's own shows."""


def update_then_replace(s: Scenario) -> dict[str, Any]:
    """``apply_gradients(grads=..., tx=other)``: Flax updates with the state's own ``tx``,
    then sets the keywords; ``params=``, ``opt_state=``, ``step=`` or a field the class does
    not have among them (the one named by ``keyword``) raise."""
    tx, params, grads = s.tx(), s.tree("params"), s.tree("grads")
    state = s.create(params, tx)
    # The class's own update without keywords: what the one with tx= must equal (whether it
    # is the Optax loop's is the plain-update property's to judge), and the control of the
    # call expected to raise below.
    plain = s.update(state, grads, 1, "control")
    other_tx = optax.sgd(OTHER_LEARNING_RATE)
    new = s.update_with_fields(state, grads, tx=other_tx)
    keyword = s.inputs["keyword"]
    if keyword == "opt_state":
        value = other_tx.init(params)
    else:
        value = params if keyword == "params" else s.inputs["new_step"]
    s.counted("apply_gradients")
    twice = s.attempt(_apply_gradients(s, state), grads=grads, **{keyword: value})
    return {
        "params": describe_tree(s.field(new, "params")),
        "opt_state": describe_tree(s.field(new, "opt_state")),
        "plain": _fields(s, plain, ("params", "opt_state")),
        "tx_set": s.field(new, "tx") is other_tx,
        "twice": twice,
    }


def missing_grads(s: Scenario) -> dict[str, Any]:
    """``apply_gradients()`` and ``apply_gradients(grads=None)``, after a plain update."""
    state = s.create(s.tree("params"), s.tx())
    s.update(state, s.tree("grads"), 1, "control")
    before = _fields(s, state, PYTREE_FIELDS)
    s.counted("apply_gradients")
    without = s.attempt(_apply_gradients(s, state))
    s.counted("apply_gradients")
    none = s.attempt(_apply_gradients(s, state), grads=None)
    return {
        "without": without,
        "none": none,
        "before": before,
        "after": _fields(s, state, PYTREE_FIELDS),
    }


def _same(value: Any, sent: Any) -> bool:
    """``value`` is ``sent``, or the same pytree: equal structure (static data included)
    and equal leaves.  Not bit for bit: ``jax.jit`` turns a Python number leaf into an
    array of JAX's dtype, as it does for Flax's own class."""
    if value is sent:
        return True
    try:
        a, a_def = jax.tree_util.tree_flatten(value)
        b, b_def = jax.tree_util.tree_flatten(sent)
        same_structure = bool(a_def == b_def)  # type: ignore[operator]
        return same_structure and all(_same_leaf(x, y) for x, y in zip(a, b, strict=True))
    except Exception:
        return False


def _numeric(value: Any) -> bool:
    return isinstance(value, (np.ndarray, np.generic, jax.Array, bool, int, float, complex))


def _same_leaf(got: Any, sent: Any) -> bool:
    """Equal values; a Python number sent may come back in JAX's dtype (``jax.jit`` makes
    ``0.999`` a float32), and is compared in that dtype.  Any other object (a function, a
    bound method, a module) is compared by ``==``, as Flax compares a static field's value
    in a tree structure: ``jax.jit`` may hand back an equal object from an earlier trace."""
    if not _numeric(sent):
        try:
            return got is sent or bool(got == sent)
        except Exception:
            return False
    got_key, sent_key = key_data(got), key_data(sent)
    if got_key is not None or sent_key is not None:
        # Typed PRNG keys: the same implementation (in the dtype) and the same data.
        return (
            got_key is not None
            and sent_key is not None
            and got.dtype == sent.dtype
            and bool(np.array_equal(got_key, sent_key))
        )
    got = np.asarray(got)
    want = np.asarray(sent)
    if isinstance(sent, (bool, int, float)):
        want = want.astype(got.dtype)
    return bool(np.array_equal(got, want, equal_nan=True))


def _alternative(value: Any) -> Any:
    """Another value of the same kind, for the checks that replace a field."""
    if value is stand_in_function:
        return other_stand_in_function
    if isinstance(value, optax.GradientTransformation):
        return other_transformation()
    if callable(value) and not hasattr(value, "shape"):
        return stand_in_function
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, str):
        return value + "y"
    return jax.tree_util.tree_map(_other_leaf, value)


def _other_leaf(leaf: Any) -> Any:
    if key_data(leaf) is not None:
        return jax.random.fold_in(leaf, 1)
    return np.asarray(leaf) + np.asarray(1, np.asarray(leaf).dtype)


def extra_fields(s: Scenario) -> dict[str, Any]:
    """Each extra field through create, apply_gradients (carried, then replaced), jax.jit and
    a flatten/unflatten round trip; where its value lies in the state's tree."""
    assert s.fields is not None
    params, tx = s.tree("params"), s.tx()
    grads = s.tree("grads")
    passed = s.extra(params)
    state = s.create(params, tx, "a", passed)
    values = {f.name: passed.get(f.name, s.field(state, f.name)) for f in s.fields.fields}
    carried = s.update(state, grads, 1, "control")
    leaves, treedef = _flatten(s, state)
    leaf_ids = {id(leaf) for leaf in leaves}
    owned = _leaf_ids_by_field(s, state)
    traced = _jit_update(s, s.create(params, tx), grads, 1)
    rebuilt = s.call("tree_unflatten", jax.tree_util.tree_unflatten, treedef, leaves)
    observed = {}
    for f in s.fields.fields:
        value = values[f.name]
        alternative = _alternative(value) if value is not None else None
        entry: dict[str, Any] = {
            "static": f.static,
            "passed": f.name in passed,
            "value": describe_value(value),
            "created": _same(s.field(state, f.name), value),
            "carried": _same(s.field(carried, f.name), value),
            "jitted": _same(s.field(traced, f.name), value),
            "round_trip": _same(s.field(rebuilt, f.name), value),
            "replaced": None,
        }
        entry["became"] = {
            key: describe_value(s.field(where, f.name))
            for key, where in (
                ("created", state),
                ("carried", carried),
                ("jitted", traced),
                ("round_trip", rebuilt),
            )
            if not entry[key]
        }
        if alternative is not None and f.name not in APPLY_GRADIENTS_ARGUMENTS:
            replaced = s.update_with_fields(state, grads, **{f.name: alternative})
            entry["replaced"] = _same(s.field(replaced, f.name), alternative)
            entry["alternative"] = describe_value(alternative)
            if not entry["replaced"]:
                entry["became"]["replaced"] = describe_value(s.field(replaced, f.name))
        own_leaves = jax.tree_util.tree_leaves(value)
        if f.static:
            # Identity, as a leaf is the field's own object; but a small int is one object
            # wherever it occurs (a static counter of 0 and step 0), so a leaf that the
            # state's key paths give to another field is not this field's.
            others = {i for name, ids in owned.items() if name != f.name for i in ids}
            entry["in_leaves"] = [
                describe_value(v) for v in own_leaves if id(v) in leaf_ids - others
            ]
            if alternative is not None and f.name not in s.fields.set_by_create:
                other = s.create(params, tx, **{f.name: alternative})
                entry["same_structure_for_other"] = _same_structure(other, treedef)
        else:
            entry["missing_leaves"] = sum(id(v) not in leaf_ids for v in own_leaves)
        observed[f.name] = entry
    return {"fields": observed}


SUBCLASS_CALLS = ("subclass_create", "subclass_update", "subclass_flatten", "subclass_unflatten")
"""The calls on the suite's subclass, the subject of the ``subclass`` scenario."""
SUBCLASS_FIELD = "subclass_field"
"""The field of the suite's subclass (:func:`_subclassed`), named like no field of a real class."""


@functools.cache
def _subclassed(cls: type) -> Any:
    """``class Subclass(cls): subclass_field: Any = None``, as Flax's documentation extends
    TrainState (``batch_stats: Any``), with a default so that it follows any field of ``cls``.
    ``None`` where that does not make ``subclass_field`` a dataclass field: a class whose
    subclasses need a decorator of their own (``@struct.dataclass``, ``@dataclass``) is
    extended in its own way, which the suite cannot know."""
    namespace = {
        "__annotations__": {SUBCLASS_FIELD: Any},
        SUBCLASS_FIELD: None,
        "__module__": cls.__module__,
        "__qualname__": f"{cls.__qualname__}Subclass",
    }
    try:
        sub = type(f"{cls.__name__}Subclass", (cls,), namespace)
    except Exception:
        return None
    if not dataclasses.is_dataclass(sub):
        return None
    if SUBCLASS_FIELD not in {f.name for f in dataclasses.fields(sub)}:
        return None
    return sub


def subclass(s: Scenario) -> dict[str, Any]:
    """A subclass's own field through ``create``, ``apply_gradients`` and a flatten/unflatten
    round trip, and its update beside the class's own (the control: a class that cannot
    update is blocked)."""
    # A class is hashable, but mypy does not see type[Any] as Hashable (python/mypy#11470).
    sub = _subclassed(s.cls)  # type: ignore[arg-type]
    if sub is None:
        return {"extended": False}
    params, tx, grads = s.tree("params"), s.tx(), s.tree("grads")
    value = s.tree("value")
    values = s.extra(params)
    plain = s.update(s.create(params, tx, "a", values), grads, 1, "control")
    s.counted("create")
    state = s.call(
        "subclass_create",
        lambda **keywords: sub.create(**keywords),
        apply_fn=apply_fn_a,
        params=params,
        tx=tx,
        **{**values, SUBCLASS_FIELD: value},
    )
    created = {
        "type": class_name(type(state)),
        "is_sub": type(state) is sub,
        "field": _same(getattr(state, SUBCLASS_FIELD, None), value),
    }
    if not created["is_sub"] or not created["field"]:
        return {"extended": True, "created": created}
    s.counted("apply_gradients")
    new = s.call("subclass_update 1", s.field(state, "apply_gradients"), grads=grads)
    leaves, treedef = s.call("subclass_flatten", jax.tree_util.tree_flatten, new)
    rebuilt = s.call("subclass_unflatten", jax.tree_util.tree_unflatten, treedef, leaves)
    return {
        "extended": True,
        "created": created,
        "updated": {
            "type": class_name(type(new)),
            "is_sub": type(new) is sub,
            "field": describe_value(getattr(new, SUBCLASS_FIELD, "<no such field>")),
            "field_kept": _same(getattr(new, SUBCLASS_FIELD, None), value),
            "step": _step(s, new),
            **_fields(s, new, ("params", "opt_state")),
        },
        "plain": {"step": _step(s, plain), **_fields(s, plain, ("params", "opt_state"))},
        "rebuilt": {
            "type": class_name(type(rebuilt)),
            "is_sub": type(rebuilt) is sub,
            "field_kept": _same(getattr(rebuilt, SUBCLASS_FIELD, None), value),
        },
    }


def dense_sgd_step(s: Scenario) -> dict[str, Any]:
    state = s.create(s.tree("params"), optax.sgd(s.inputs["lr"]), "dense")
    new = s.update(state, s.tree("grads"))
    return {
        "apply_fn_kept": s.field(new, "apply_fn") is _dense_apply(),
        "params": describe_tree(s.field(new, "params")),
    }


SCENARIOS: dict[str, tuple[Callable[[Scenario], dict[str, Any]], frozenset[str]]] = {
    fn.__name__: (fn, frozenset(subject))
    for fn, subject in (
        (create, ("create", "field")),
        (positional_grads, ()),
        (positional_create, ()),
        (create_extra_fields, ("create_with_fields",)),
        (create_unknown_field, ()),
        (step_count, ()),
        (trajectory, ("apply_gradients",)),
        (old_state, ()),
        (assign_field, ()),
        (mismatched_grads, ()),
        (jitted, ("jit",)),
        (round_trip, ("tree_flatten", "tree_unflatten", "tree_abstract")),
        (static_fields, ()),
        (replace, ("replace",)),
        (update_with_fields, ("apply_gradients_with_fields",)),
        (extra_fields, ("apply_gradients_with_fields", "static_hash")),
        (update_then_replace, ("apply_gradients_with_fields",)),
        (missing_grads, ()),
        (low_precision_update, ("low_precision",)),
        (subclass, SUBCLASS_CALLS),
        (dense_sgd_step, ()),
    )
}
"""Each scenario, and the kinds of call that are its subject (:class:`Scenario`)."""


def run(
    cls: type,
    fields: FieldValues | None,
    name: str,
    inputs: dict[str, Any],
    let_through: tuple[type[BaseException], ...] = (),
) -> tuple[dict[str, Any], dict[str, int]]:
    """Run scenario ``name`` on ``cls``: what it observed (or ``{"stopped": ...}``), and the
    calls of ``create`` and ``apply_gradients`` it made."""
    if name not in SCENARIOS:
        return {"stopped": {"kind": "unknown_scenario", "name": name}}, dict.fromkeys(
            SCENARIO_CALLS, 0
        )
    scenario, subject = SCENARIOS[name]
    state = Scenario(cls, fields, inputs, let_through, subject)
    try:
        return scenario(state), state.calls
    except Stop as stop:
        return {"stopped": stop.observed}, state.calls
    except Exception as exc:
        # Something the implementation returned broke the scenario itself (a state whose
        # fields cannot be read or flattened, say): that is the implementation's failure.
        if isinstance(exc, let_through):
            raise
        where = traceback.extract_tb(exc.__traceback__)[-1]
        stopped = {
            "kind": "error",
            "exception": describe_exception(exc),
            "where": f"{where.name}, line {where.lineno}",
        }
        return {"stopped": stopped}, state.calls
