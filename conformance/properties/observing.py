"""Running a TrainState scenario in the implementation's process, and what a failure says.

- :func:`train_state_class`: the class under test, as its process reported it,
  or "does not apply" (:class:`DoesNotApply`) with the reason.
- :class:`Context`: the coordinates every assertion message ends with
  (implementation, optimizer, params structure, ``k``...).
- :func:`observe`: run a scenario of :mod:`conformance.isolation.train_state_scenarios`
  in the implementation's process; if the implementation raised where Flax
  does not, fail with a message that names the call, the contract point and
  the input.
- :func:`tree` / :func:`leaf`: what the process described, checked.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from conformance.isolation.failures import (
    HostMisbehaved,
    ImplementationFailed,
    ImplementationRaised,
)
from conformance.isolation.implementations import Implementation, TrainStateClass
from conformance.isolation.service import CANONICAL_FIELDS
from conformance.isolation.train_state_scenarios import SCENARIO_CALLS
from conformance.isolation.trees import Leaf, TreeData, expected_tree, pack_tree, tree_data
from conformance.properties.not_applicable import DoesNotApply
from conformance.strategies.optax_catalogue import OptimizerCase


def train_state_class(impl: Implementation) -> TrainStateClass:
    """``impl``'s TrainState class; the property does not apply when there is none."""
    cls = impl.capabilities().train_state
    if cls is None:
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
        print(output, end="")
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


def _stopped(
    ctx: Context, scenario: str, stopped: dict[str, Any], inputs: dict[str, Any]
) -> BaseException:
    kind = stopped.get("kind")
    exception = stopped.get("exception", {})
    if kind == "raised":
        call = str(stopped.get("call", "?"))
        raised = exception_text(exception)
        extra = "".join(f", {name}=..." for name in inputs.get("extra", {}) or {})
        if call == "create":
            return ImplementationRaised(
                f"{ctx.name}: TrainState.create(apply_fn=..., params=..., tx=...{extra}) raised "
                f"{raised}; Flax's create(*, apply_fn, params, tx, **kwargs) accepts these {ctx}"
            )
        if call.startswith("apply_gradients"):
            index = int(call.rsplit(" ", 1)[-1])
            if scenario == "update_with_fields":
                extra = ", apply_fn=..." + extra
            return ImplementationRaised(
                f"{ctx.name}: apply_gradients(grads=...{extra}) call {index} raised {raised}; "
                f"grads match params' structure, so Flax's apply_gradients applies them "
                f"(grads {_grads_shapes(inputs, index)}) {ctx}"
            )
        if call.startswith("jit"):
            return ImplementationRaised(
                f"{ctx.name}: jax.jit(lambda s, g: s.apply_gradients(grads=g))(state, grads) "
                f"raised {raised} on call {call.rsplit(' ', 1)[-1]}; the state must be a pytree "
                f"(step, params, opt_state as leaves; apply_fn and tx static) whose "
                f"apply_gradients traces {ctx}"
            )
        if call == "tree_flatten":
            return AssertionError(
                f"{ctx.name}: jax.tree_util.tree_flatten(state) raised {raised} {ctx}"
            )
        if call == "tree_unflatten":
            return AssertionError(
                f"{ctx.name}: jax.tree_util.tree_unflatten(treedef, leaves) of the state's own "
                f"flattening raised {raised} {ctx}"
            )
        if call == "replace":
            names = ", ".join(f"{n}=..." for n in inputs.get("names", []))
            return AssertionError(
                f"{ctx.name}: state.replace({names}) raised {raised}; Flax's replace(**fields) "
                f"returns a copy with those fields set {ctx}"
            )
        return ImplementationRaised(f"{ctx.name}: {call} raised {raised} {ctx}")
    if kind == "missing_field":
        return AssertionError(
            f"{ctx.name}: the state has no field {stopped.get('field')!r} "
            f"({exception_text(exception)}); Flax's TrainState has fields "
            f"{', '.join(CANONICAL_FIELDS)} {ctx}"
        )
    if kind == "not_a_pytree":
        return AssertionError(
            f"{ctx.name}: the state is not a pytree: jax.tree_util.tree_flatten sees the whole "
            f"{stopped.get('type')} as one leaf (register it, e.g. flax.struct.PyTreeNode, "
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
