"""Running a TrainState scenario in the implementation's process, and what a failure says.

- :func:`train_state_class`: the class under test, as its process reported it,
  or "does not apply" (:class:`DoesNotApply`) with the reason.
- :class:`Context`: the coordinates every assertion message ends with
  (implementation, optimizer, params structure, ``k``...).
- :func:`observe`: run a scenario of :mod:`conformance.properties.train_state_scenarios`
  in the implementation's process; if the implementation raised where Flax
  does not, fail with a message that names the call, the contract point and
  the input.
- :func:`tree` / :func:`leaf`: what the process described, checked.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from conformance.isolation.descriptions import missing_field
from conformance.isolation.failures import (
    HostMisbehaved,
    ImplementationFailed,
    ImplementationRaised,
)
from conformance.isolation.implementations import Implementation, TrainStateClass
from conformance.isolation.trees import Leaf, TreeData, expected_tree, pack_tree, tree_data
from conformance.isolation.untrusted_text import printed_lines
from conformance.properties.blocked import Blocked
from conformance.properties.extra_fields import CREATE_ARGUMENTS
from conformance.properties.not_applicable import DoesNotApply
from conformance.properties.requirements import missing
from conformance.properties.train_state_scenarios import SCENARIO_CALLS, SUBCLASS_FIELD
from conformance.reference.class_calls import EXTRA_FIELDS_CALL
from conformance.strategies.optax_catalogue import OptimizerCase


def train_state_class(impl: Implementation) -> TrainStateClass:
    """``impl``'s TrainState class; the property does not apply when there is none."""
    cls = impl.capabilities().train_state
    if cls is None:
        cause = missing(impl, "train_state")
        if cause is not None:
            raise Blocked(cause)
        raise DoesNotApply(
            f"{impl.name} defines no TrainState class: the TrainState properties apply only "
            "to modules that define one (its one_step is covered by the one-step properties)"
        )
    return cls


@dataclasses.dataclass
class Context:
    """``[impl=..., tx=..., params=..., ...]``: what a failing example was about."""

    impl: Implementation
    items: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.impl.name

    def __str__(self) -> str:
        parts = [f"{key}={value}" for key, value in self.items.items()]
        return "[" + "; ".join([f"impl={self.impl.name}", *parts]) + "]"


def exception_text(exception: dict[str, Any]) -> str:
    """``TypeError: message`` from an exception described by the implementation's process."""
    kind = str(exception.get("type", "?"))
    module = exception.get("module")
    shown = kind if module in (None, "builtins") else f"{module}.{kind}"
    return f"{shown}: {exception.get('message', '')}"


def raised_a(exception: dict[str, Any], builtin: str) -> bool:
    """Whether the described exception is an instance of the built-in class ``builtin``."""
    return builtin in exception.get("builtins", [])


@dataclasses.dataclass(frozen=True)
class Tree:
    """Marks an input of :func:`observe` as a pytree to rebuild in the implementation's process."""

    tree: Any


def observe(ctx: Context, scenario: str, **inputs: Any) -> dict[str, Any]:
    """Run ``scenario`` on the class in its process; what it observed.

    Inputs wrapped in :class:`Tree` (or lists of them) are sent as trees, an
    :class:`OptimizerCase` as its catalogue entry, anything else as plain data.
    """
    sent = {name: _send(value) for name, value in inputs.items()}
    answer = ctx.impl.connection.request(
        {"op": "train_state", "scenario": scenario, "inputs": sent},
        f"{ctx.name}: the TrainState scenario {scenario!r} {ctx}",
    )
    _count_calls(ctx.impl, answer.get("calls"))
    output = str(answer.get("output", ""))
    if output:
        print(printed_lines(ctx.impl.name, output), end="")
    observed = answer.get("observed")
    if not isinstance(observed, dict):
        raise HostMisbehaved(f"{ctx.name}: the scenario {scenario!r} sent no observations {ctx}")
    if "stopped" in observed:
        raise _stopped(ctx, scenario, observed["stopped"], inputs)
    return observed


def _count_calls(impl: Implementation, calls: object) -> None:
    """Add the scenario's own count of its ``create`` and ``apply_gradients`` calls.

    The count comes from the implementation's process and is only ever used to
    say what a verdict cost, never to decide one.
    """
    if isinstance(calls, dict):
        for name in SCENARIO_CALLS:
            count = calls.get(name)
            if isinstance(count, int) and count >= 0:
                impl.calls[name] += count


def _send(value: Any) -> Any:
    if isinstance(value, OptimizerCase):
        return [value.name, [list(pair) for pair in value.hyperparams]]
    if isinstance(value, Tree):
        return pack_tree(value.tree)
    if isinstance(value, list) and value and all(isinstance(v, Tree) for v in value):
        return [pack_tree(v.tree) for v in value]
    if isinstance(value, dict) and any(isinstance(v, Tree) for v in value.values()):
        return {key: _send(v) for key, v in value.items()}
    return value


def _grads_shapes(inputs: dict[str, Any], call: int) -> str:
    grads = inputs.get("grads")
    if isinstance(grads, list) and 0 < call <= len(grads):
        grads = grads[call - 1]
    return expected_tree(grads.tree).shapes() if isinstance(grads, Tree) else "?"


def _call_text(call: str, stopped: dict[str, Any], scenario: str) -> str:
    """The call that raised, with exactly the keywords the scenario passed."""
    keywords = "".join(f", {name}=..." for name in stopped.get("keywords", []))
    kind, _, index = call.partition(" ")
    if kind == "create values":
        return EXTRA_FIELDS_CALL
    if kind in ("create", "create_with_fields"):
        return f"TrainState.create({keywords.removeprefix(', ')})"
    if kind in (
        "apply_gradients",
        "control",
        "keywords_control",
        "apply_gradients_with_fields",
        "low_precision",
    ):
        return f"state.apply_gradients({keywords.removeprefix(', ')})"
    if kind == "jit":
        return f"jax.jit(lambda s, g: s.apply_gradients(grads=g))(state, grads) on call {index}"
    if kind == "tree_flatten":
        return "jax.tree_util.tree_flatten(state)"
    if kind == "tree_unflatten":
        return "jax.tree_util.tree_unflatten(treedef, leaves) of the state's own flattening"
    if kind == "tree_abstract":
        return (
            "jax.eval_shape(lambda state: state, state), which rebuilds the state with "
            "ShapeDtypeStruct leaves,"
        )
    if kind == "replace":
        return f"state.replace({keywords.removeprefix(', ')})"
    if kind == "static_hash":
        return f"hash(state.{index}), of the static field {index},"
    if kind.startswith("subclass"):
        made = {
            "subclass_create": f"Subclass.create({keywords.removeprefix(', ')})",
            "subclass_update": "state.apply_gradients(grads=...) on a Subclass state",
            "subclass_flatten": "jax.tree_util.tree_flatten of an updated Subclass state",
            "subclass_unflatten": "jax.tree_util.tree_unflatten of an updated Subclass state",
        }[kind]
        return f"{made}, where class Subclass(TrainState): {SUBCLASS_FIELD}: Any = None,"
    return call


def _stopped(
    ctx: Context, scenario: str, stopped: dict[str, Any], inputs: dict[str, Any]
) -> BaseException:
    kind = stopped.get("kind")
    exception = stopped.get("exception", {})
    if kind == "raised":
        call = str(stopped.get("call", "?"))
        raised = exception_text(exception)
        shown = _call_text(call, stopped, scenario)
        if stopped.get("blocking"):
            return Blocked(f"{shown} raised {raised}", str(ctx), per_example=True)
        if call.startswith(("create", "create_with_fields")):
            extra = [k for k in stopped.get("keywords", []) if k not in CREATE_ARGUMENTS]
            fields = (
                f", and passes {', '.join(extra)} on to the class as its own fields"
                if extra
                else ""
            )
            return ImplementationRaised(
                f"{ctx.name}: {shown} raised {raised}; Flax's create(*, apply_fn, params, tx, "
                f"**kwargs) takes apply_fn, params and tx{fields} {ctx}"
            )
        if call.startswith(("apply_gradients", "control", "low_precision")):
            index = call.rsplit(" ", 1)[-1]
            given = [k for k in stopped.get("keywords", []) if k != "grads"]
            why = (
                f"Flax's apply_gradients(*, grads, **kwargs) applies the grads, then sets "
                f"{', '.join(given)} with replace(**kwargs)"
                if given
                else f"Flax's apply_gradients(*, grads, **kwargs) needs nothing but grads, and "
                f"these match params' structure (grads {_grads_shapes(inputs, int(index))})"
            )
            return ImplementationRaised(
                f"{ctx.name}: {shown} call {index} raised {raised}; {why} {ctx}"
            )
        if call.startswith("jit"):
            return ImplementationRaised(
                f"{ctx.name}: {shown} raised {raised}; the state must be a pytree (step, "
                f"params, opt_state as leaves; apply_fn and tx static) whose apply_gradients "
                f"traces {ctx}"
            )
        if call.startswith("static_hash"):
            return AssertionError(
                f"{ctx.name}: {shown} raised {raised}; a static field (pytree_node=False) is "
                f"part of the tree structure, which jax.jit hashes and compares, so its value "
                f"must be hashable: an array belongs in a pytree field {ctx}"
            )
        if call.startswith("subclass"):
            return AssertionError(
                f"{ctx.name}: {shown} raised {raised}; Flax's TrainState is extended by "
                f"subclassing, and a subclass's states are created, updated and flattened as "
                f"the class's own are {ctx}"
            )
        if call.startswith("replace"):
            return AssertionError(
                f"{ctx.name}: {shown} raised {raised}; Flax's replace(**fields) returns a copy "
                f"with those fields set {ctx}"
            )
        if call.startswith("tree_"):
            return AssertionError(f"{ctx.name}: {shown} raised {raised} {ctx}")
        return ImplementationRaised(f"{ctx.name}: {shown} raised {raised} {ctx}")
    if kind == "missing_field":
        missing = raised_a(exception, "AttributeError")
        what = missing_field(
            str(stopped.get("field")),
            "AttributeError" if missing else exception_text(exception),
        )
        if stopped.get("blocking"):
            return Blocked(what, str(ctx), per_example=True)
        return AssertionError(f"{ctx.name}: {what} {ctx}")
    if kind == "not_a_pytree":
        what = (
            f"the state is not a pytree: jax.tree_util.tree_flatten sees the whole "
            f"{stopped.get('type')} as one leaf"
        )
        if stopped.get("blocking"):
            return Blocked(what, str(ctx), per_example=True)
        return AssertionError(
            f"{ctx.name}: {what} (register it, e.g. flax.struct.PyTreeNode, "
            f"jax.tree_util.register_dataclass, eqx.Module), so jax.jit and "
            f"jax.tree_util.tree_map cannot handle it {ctx}"
        )
    return ImplementationFailed(
        f"{ctx.name}: the suite's scenario {scenario!r} could not go on with what the "
        f"implementation returned: {exception_text(exception)} (in {stopped.get('where')}) {ctx}"
    )


def tree(observed: Any) -> TreeData:
    """A tree the implementation's process described, checked."""
    return tree_data(observed)


def leaf(observed: Any) -> Leaf:
    """A single value (a step counter) the implementation's process described."""
    described = tree_data({"treedef": "*", "paths": [""], "leaves": [observed]})
    return described.leaves[0]
