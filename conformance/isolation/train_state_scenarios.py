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
``{"stopped": ...}``.
"""

from __future__ import annotations

import dataclasses
import functools
import traceback
from collections.abc import Callable
from typing import Any

import jax
import numpy as np
import optax

from conformance.isolation.service import CANONICAL_FIELDS, class_name, describe_exception
from conformance.isolation.trees import describe_leaf, describe_tree, show_array, unpack_tree
from conformance.strategies.optax_catalogue import CATALOGUE, build

PYTREE_FIELDS: tuple[str, ...] = ("step", "params", "opt_state")
SCENARIO_CALLS: tuple[str, ...] = ("create", "apply_gradients")
"""The calls into the class a scenario counts (``answer["calls"]``), for what a verdict costs."""
STATIC_FIELDS: tuple[str, ...] = ("apply_fn", "tx")


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


APPLY_FNS: dict[str, Callable[[], Callable[..., Any]]] = {
    "a": lambda: apply_fn_a,
    "b": lambda: apply_fn_b,
    "dense": _dense_apply,
}


class Stop(Exception):
    """The scenario cannot go on; ``observed`` says why (returned to the judge)."""

    def __init__(self, observed: dict[str, Any]) -> None:
        super().__init__(observed)
        self.observed = observed


@dataclasses.dataclass
class Scenario:
    """The class under test, the decoded inputs, and how to call into the implementation."""

    cls: type[Any]
    inputs: dict[str, Any]
    let_through: tuple[type[BaseException], ...]
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

    def call(self, what: str, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``function(*args, **kwargs)``; if it raises, the scenario stops and says where."""
        try:
            return function(*args, **kwargs)
        except BaseException as exc:
            if isinstance(exc, self.let_through):
                raise
            raise Stop(
                {"kind": "raised", "call": what, "exception": describe_exception(exc)}
            ) from None

    def attempt(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> dict[str, Any]:
        """What ``function(*args, **kwargs)`` did: ``{"raised": ...}`` or ``{"returned": ...}``."""
        try:
            result = self.call("attempt", function, *args, **kwargs)
        except Stop as stop:
            return {"raised": stop.observed["exception"]}
        return {"returned": describe_value(result)}

    def create(self, params: Any, tx: Any, apply_fn: str = "a", **kwargs: Any) -> Any:
        self.counted("create")
        return self.call(
            "create",
            self.cls.create,
            apply_fn=APPLY_FNS[apply_fn](),
            params=params,
            tx=tx,
            **kwargs,
        )

    def update(self, state: Any, grads: Any, index: int = 1, **kwargs: Any) -> Any:
        self.counted("apply_gradients")
        return self.call(f"apply_gradients {index}", _apply_gradients(state), grads=grads, **kwargs)

    def field(self, state: Any, name: str) -> Any:
        try:
            return self.call(name, getattr, state, name)
        except Stop as stop:
            exception = stop.observed["exception"]
            raise Stop({"kind": "missing_field", "field": name, "exception": exception}) from None


def _apply_gradients(state: Any) -> Callable[..., Any]:
    try:
        return state.apply_gradients  # type: ignore[no-any-return]
    except AttributeError as exc:
        raise Stop(
            {
                "kind": "missing_field",
                "field": "apply_gradients",
                "exception": describe_exception(exc),
            }
        ) from None


def describe_value(value: Any) -> str:
    """A short description of any object, for the judge's messages."""
    shape = getattr(value, "shape", None)
    dtype = getattr(value, "dtype", None)
    if shape is not None and dtype is not None:
        try:
            shown = show_array(np.asarray(value))
        except Exception:
            shown = "?"
        return f"{type(value).__name__}(dtype={dtype}, shape={tuple(shape)}) = {shown}"
    if hasattr(value, "apply_gradients"):
        step = getattr(value, "step", "?")
        return f"a {class_name(type(value))} with step={step!r:.40}"
    if callable(value) and hasattr(value, "__qualname__"):
        return f"the function {getattr(value, '__module__', '?')}.{value.__qualname__}"
    if isinstance(value, (int, float, str, bool)) or value is None:
        return f"{type(value).__name__} {value!r:.60}"
    return f"a {class_name(type(value))}"


def _observed_value(value: Any, sent: Any) -> dict[str, Any]:
    """A field's value as the judge compares it with what it sent."""
    return {"identical": value is sent, "tree": describe_tree(value), "text": describe_value(value)}


def _fields(scenario: Scenario, state: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: describe_tree(scenario.field(state, name)) for name in names}


def _step(scenario: Scenario, state: Any) -> dict[str, Any]:
    return describe_leaf(scenario.field(state, "step"))


# --------------------------------------------------------------------------- scenarios


def create(s: Scenario) -> dict[str, Any]:
    params, tx = s.tree("params"), s.tx()
    state = s.create(params, tx)
    return {
        "is_cls": type(state) is s.cls,
        "type": class_name(type(state)),
        "step": _step(s, state),
        "params": describe_tree(s.field(state, "params")),
        "opt_state": describe_tree(s.field(state, "opt_state")),
        "apply_fn_kept": s.field(state, "apply_fn") is apply_fn_a,
        "apply_fn": describe_value(state.apply_fn),
        "tx_kept": s.field(state, "tx") is tx,
        "tx": describe_value(state.tx),
        "params_passed_after": describe_tree(params),
    }


def positional_grads(s: Scenario) -> dict[str, Any]:
    state = s.create(s.tree("params"), s.tx())
    before = _fields(s, state, PYTREE_FIELDS)
    s.counted("apply_gradients")
    outcome = s.attempt(_apply_gradients(state), s.tree("grads"))
    return {"outcome": outcome, "before": before, "after": _fields(s, state, PYTREE_FIELDS)}


def positional_create(s: Scenario) -> dict[str, Any]:
    s.counted("create")
    return {"outcome": s.attempt(s.cls.create, apply_fn_a, s.tree("params"), s.tx())}


def create_extra_fields(s: Scenario) -> dict[str, Any]:
    values = {name: unpack_tree(packed) for name, packed in s.inputs["extra"].items()}
    state = s.create(s.tree("params"), s.tx(), **values)
    created = {name: _observed_value(s.field(state, name), v) for name, v in values.items()}
    new = s.update(state, s.tree("grads"))
    updated = {name: _observed_value(s.field(new, name), v) for name, v in values.items()}
    return {"created": created, "updated": updated}


def create_unknown_field(s: Scenario) -> dict[str, Any]:
    s.counted("create")
    outcome = s.attempt(
        s.cls.create,
        apply_fn=apply_fn_a,
        params=s.tree("params"),
        tx=s.tx(),
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
    state = s.create(s.tree("params"), s.tx())
    s.counted("apply_gradients")
    return {"outcome": s.attempt(_apply_gradients(state), grads=s.tree("grads"))}


@functools.cache
def _jitted_apply_gradients(cls: type) -> Callable[[Any, Any], Any]:
    """One jitted function per class.

    Not one shared function: JAX may find the tree structures of two different
    classes equal (two Flax ``struct`` subclasses with the same fields do), and
    then reuse the trace of one class's ``apply_gradients`` for another.
    """
    return jax.jit(lambda state, grads: state.apply_gradients(grads=grads))


def jitted(s: Scenario) -> dict[str, Any]:
    tx = s.tx()
    eager = s.create(s.tree("params"), tx)
    traced = s.create(s.tree("params"), tx)
    calls = []
    for i, grads in enumerate(s.trees("grads"), start=1):
        eager = s.update(eager, grads, i)
        # A class is hashable, but mypy does not see type[Any] as Hashable (python/mypy#11470).
        s.counted("apply_gradients")
        traced = s.call(f"jit {i}", _jitted_apply_gradients(s.cls), traced, grads)  # type: ignore[arg-type]
        calls.append(
            {
                "is_cls": type(traced) is s.cls,
                "type": class_name(type(traced)),
                "step": _step(s, traced),
                "jitted": _fields(s, traced, ("params", "opt_state")),
                "eager": _fields(s, eager, ("params", "opt_state")),
                "statics_kept": {
                    name: s.field(traced, name) is s.field(eager, name) for name in STATIC_FIELDS
                },
            }
        )
    return {"calls": calls}


def _flatten(s: Scenario, state: Any) -> tuple[list[Any], Any]:
    leaves, treedef = s.call("tree_flatten", jax.tree_util.tree_flatten, state)
    if len(leaves) == 1 and leaves[0] is state:
        raise Stop({"kind": "not_a_pytree", "type": class_name(type(state))})
    return leaves, treedef


def round_trip(s: Scenario) -> dict[str, Any]:
    state = s.create(s.tree("params"), s.tx())
    for i, grads in enumerate(s.trees("grads"), start=1):
        state = s.update(state, grads, i)
    leaves, treedef = _flatten(s, state)
    rebuilt = s.call("tree_unflatten", jax.tree_util.tree_unflatten, treedef, leaves)
    return {
        "same_type": type(rebuilt) is type(state),
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
    missing = {
        name: [
            jax.tree_util.keystr(path)
            for path, leaf in jax.tree_util.tree_flatten_with_path(s.field(state, name))[0]
            if id(leaf) not in ids
        ]
        for name in ("params", "opt_state")
    }
    needed = 1 + len(
        jax.tree_util.tree_leaves((s.field(state, "params"), s.field(state, "opt_state")))
    )
    same_statics = s.create(s.tree("other_params"), tx)
    other_tx = s.create(s.tree("params"), s.fresh_tx())
    other_apply_fn = s.create(s.tree("params"), tx, apply_fn="b")
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


def replace(s: Scenario) -> dict[str, Any]:
    tx = s.tx()
    state = s.create(s.tree("params"), tx)
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
    new = s.call("replace", _attr(state, "replace"), **changes)
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


def _attr(state: Any, name: str) -> Any:
    try:
        return getattr(state, name)
    except AttributeError as exc:
        raise Stop(
            {"kind": "missing_field", "field": name, "exception": describe_exception(exc)}
        ) from None


def update_with_fields(s: Scenario) -> dict[str, Any]:
    tx = s.tx()
    state = s.create(s.tree("params"), tx)
    values: dict[str, Any] = {"apply_fn": apply_fn_b}
    values.update({name: unpack_tree(packed) for name, packed in s.inputs["extra"].items()})
    old = {name: s.field(state, name) for name in values}
    new = s.update(state, s.tree("grads"), 1, **values)
    return {
        "fields": {name: _observed_value(s.field(new, name), v) for name, v in values.items()},
        "step": _step(s, new),
        "after": _fields(s, new, ("params", "opt_state")),
        "tx_kept": s.field(new, "tx") is tx,
        "old_kept": {name: getattr(state, name) is value for name, value in old.items()},
    }


def dense_sgd_step(s: Scenario) -> dict[str, Any]:
    state = s.create(s.tree("params"), optax.sgd(s.inputs["lr"]), apply_fn="dense")
    new = s.update(state, s.tree("grads"))
    return {
        "apply_fn_kept": s.field(new, "apply_fn") is _dense_apply(),
        "params": describe_tree(s.field(new, "params")),
    }


SCENARIOS: dict[str, Callable[[Scenario], dict[str, Any]]] = {
    fn.__name__: fn
    for fn in (
        create,
        positional_grads,
        positional_create,
        create_extra_fields,
        create_unknown_field,
        step_count,
        trajectory,
        old_state,
        assign_field,
        mismatched_grads,
        jitted,
        round_trip,
        static_fields,
        replace,
        update_with_fields,
        dense_sgd_step,
    )
}


def run(
    cls: type,
    name: str,
    inputs: dict[str, Any],
    let_through: tuple[type[BaseException], ...] = (),
) -> tuple[dict[str, Any], dict[str, int]]:
    """Run scenario ``name`` on ``cls``: what it observed (or ``{"stopped": ...}``), and the
    calls of ``create`` and ``apply_gradients`` it made."""
    scenario = SCENARIOS.get(name)
    state = Scenario(cls, inputs, let_through)
    if scenario is None:
        return {"stopped": {"kind": "unknown_scenario", "name": name}}, state.calls
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
