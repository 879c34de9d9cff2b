"""Shared helpers of the TrainState properties (``conformance/test_train_state_*.py``).

- :func:`train_state_class`: the class under test, as its process reported it,
  or "does not apply" (:class:`DoesNotApply`) with the reason.
- :class:`Context`: the coordinates every assertion message ends with
  (implementation, optimizer, params structure, ``k``...).
- :func:`observe`: run a scenario of :mod:`conformance.isolation.train_state_scenarios`
  in the implementation's process; if the implementation raised where Flax
  does not, fail with a message that names the call, the contract point and
  the input.
- :func:`optax_loop`: the hand-written Optax loop the properties compare with,
  run here, in the judging process.
- :func:`bitwise_difference` / :func:`close_difference`: compare described
  trees, returning ``None`` or a one-line description of the first difference.
- :func:`check_step`: a step counter is an integral scalar with the right value.

The tolerance policy of :func:`close_difference` is documented there.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from typing import Any

import jax
import numpy as np
import optax

from conformance.failures import HostMisbehaved, ImplementationFailed, ImplementationRaised
from conformance.implementations import Implementation, TrainStateClass
from conformance.isolation.service import CANONICAL_FIELDS
from conformance.isolation.train_state_scenarios import SCENARIO_CALLS
from conformance.isolation.trees import Leaf, TreeData, expected_tree, pack_tree, tree_data
from conformance.not_applicable import DoesNotApply
from conformance.reference.tolerance import UNIT_ROUNDOFF
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


# --------------------------------------------------------------------------- messages


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


# --------------------------------------------------------------------------- scenarios


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


# --------------------------------------------------------------------------- step


def step_problem(step: Leaf) -> str | None:
    """``None`` if ``step`` is an integral scalar (Python/NumPy int, or 0-d integer array)."""
    if step.type in ("builtins.bool", "numpy.bool_", "numpy.bool"):
        return f"a bool ({step.text})"
    if step.type == "builtins.int":
        return None
    if not step.is_array:
        return f"a {step.type.rsplit('.', 1)[-1]} ({step.text})"
    if step.shape != ():
        return f"an array of shape {step.shape}, not a scalar"
    if step.array is None or not np.issubdtype(step.array.dtype, np.integer):
        return f"a {step.type.rsplit('.', 1)[-1]} of dtype {step.dtype}, not an integer dtype"
    return None


def step_value(step: Leaf) -> int:
    if step.value is not None:
        return int(step.value)
    assert step.array is not None
    return int(step.array)


def check_step(ctx: Context, step: Leaf, expected: int, after: str) -> None:
    """``step`` is an integral scalar equal to ``expected``."""
    problem = step_problem(step)
    assert problem is None, (
        f"{ctx.name}: step is {problem} {after}; it must be an integral count (Flax: the "
        f"Python int {expected}, or an int32 array under jax.jit) {ctx}"
    )
    assert step_value(step) == expected, (
        f"{ctx.name}: step is {step_value(step)} {after}, expected {expected}: create must "
        f"start at step 0 and each apply_gradients call must return step + 1 {ctx}"
    )


# --------------------------------------------------------------------------- Optax loop


@dataclasses.dataclass(frozen=True)
class Trajectory:
    """``params[i]`` and ``opt_states[i]`` after ``i`` updates of the hand-written loop."""

    params: list[Any]
    opt_states: list[Any]

    @functools.cached_property
    def described(self) -> tuple[list[TreeData], list[TreeData]]:
        """The params and opt_states as the implementation's process describes its own."""
        return [expected_tree(p) for p in self.params], [expected_tree(s) for s in self.opt_states]

    @functools.cached_property
    def scales(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        return trajectory_scales(self)


def optax_loop(tx: optax.GradientTransformation, params: Any, grads: Sequence[Any]) -> Trajectory:
    """``tx.init`` once, then ``tx.update`` + ``optax.apply_updates`` per gradient tree, eagerly."""
    opt_state = tx.init(params)
    out = Trajectory([params], [opt_state])
    for g in grads:
        updates, opt_state = tx.update(g, opt_state, params)
        params = optax.apply_updates(params, updates)
        out.params.append(params)
        out.opt_states.append(opt_state)
    return out


_LOOPS: dict[tuple[object, ...], Trajectory] = {}
_LOOPS_LIMIT = 4096


def _tree_key(tree: Any) -> tuple[object, ...]:
    leaves, treedef = jax.tree_util.tree_flatten(tree)
    return (
        str(treedef),
        *((np.asarray(a).dtype.str, np.shape(a), np.asarray(a).tobytes()) for a in leaves),
    )


def expected_loop(opt: OptimizerCase, params: Any, grads: Sequence[Any]) -> Trajectory:
    """:func:`optax_loop` for a drawn case, computed once per distinct input in this process.

    Under a derandomized profile every implementation meets the same inputs
    (:func:`conformance.profiles.suite_settings`), so a grader's batch computes
    each expected trajectory once.
    """
    key = (opt, _tree_key(params), *(_tree_key(g) for g in grads))
    found = _LOOPS.get(key)
    if found is None:
        if len(_LOOPS) >= _LOOPS_LIMIT:
            _LOOPS.clear()
        found = _LOOPS[key] = optax_loop(opt.tx, params, grads)
    return found


# --------------------------------------------------------------------------- comparisons


def bitwise_difference(actual: TreeData, expected: TreeData) -> str | None:
    """How ``actual`` differs from ``expected`` in structure, leaf types or bits."""
    if actual.treedef != expected.treedef:
        return f"pytree structure is {actual.treedef}, expected {expected.treedef}"
    for path, got, want in zip(expected.paths, actual.leaves, expected.leaves, strict=True):
        if not got.same_bits(want):
            return f"leaf {path or '<root>'} is {got}, expected {want}"
    return None


ULPS_PER_UPDATE = 16
"""Rounding budget per update, in units of the float32 unit roundoff (so ~1e-6 relative)."""
FLOOR = 4 * float(np.finfo(np.float32).tiny)


def magnitude(trees: Sequence[Any]) -> list[np.ndarray]:
    """Elementwise ``max |leaf|`` over several trees of one structure, leaf by leaf."""
    flat = [jax.tree_util.tree_leaves(t) for t in trees]
    return [
        np.maximum.reduce([np.abs(np.asarray(leaf, np.float64)) for leaf in leaves])
        for leaves in zip(*flat, strict=True)
    ]


def close_difference(
    actual: TreeData, expected: TreeData, scale: Sequence[np.ndarray], k: int
) -> str | None:
    """How ``actual`` differs from ``expected`` beyond float32 rounding of ``k`` updates.

    Tolerance policy.  A faithful implementation runs the same Optax ops in the
    same order and is bit-identical to the hand-written loop; Flax's own is.  It
    may still differ in the last bits when it runs them differently: jitted
    (XLA fuses the update and may, e.g., turn a division into a multiplication
    by a reciprocal) where the loop runs op by op, or with ``x - lr*g`` for
    ``x + (-lr*g)``.  Each such rewrite moves an element by a few units of
    float32 roundoff relative to the magnitudes it is computed from, and the
    errors of successive updates add up.  So element ``j`` may differ by
    ``k * ULPS_PER_UPDATE * u * scale[j]`` (``u = 2**-24``, ``scale[j]`` the
    largest ``|value|`` element ``j`` takes along the trajectory, including the
    size of the updates), plus a floor for flushed subnormals.  That is ~1e-6
    relative per update, far below what any wrong update does: a missing,
    doubled, re-initialised or stale update moves params by ``lr * |update|``,
    at least ~1e-4 relative here.  Integer leaves (step counts) must be exact,
    and the structures must be equal.
    """
    if actual.treedef != expected.treedef:
        return f"pytree structure is {actual.treedef}, expected {expected.treedef}"
    for path, a, e, s in zip(expected.paths, actual.leaves, expected.leaves, scale, strict=True):
        where = path or "<root>"
        if e.array is None or a.array is None:
            if not a.same_bits(e):
                return f"leaf {where} is {a}, expected {e}"
            continue
        if a.array.shape != e.array.shape:
            return f"leaf {where} has shape {a.array.shape}, expected {e.array.shape}"
        if a.array.dtype != e.array.dtype:
            return f"leaf {where} has dtype {a.array.dtype}, expected {e.array.dtype}"
        if not np.issubdtype(e.array.dtype, np.inexact):
            if not np.array_equal(a.array, e.array):
                return f"leaf {where} is {a.text}, expected exactly {e.text}"
            continue
        a64, e64 = a.array.astype(np.float64), e.array.astype(np.float64)
        tol = k * ULPS_PER_UPDATE * UNIT_ROUNDOFF * np.asarray(s) + FLOOR
        err = np.abs(a64 - e64)
        bad = ~(err <= tol)  # NaN counts as bad
        if np.any(bad):
            j = np.unravel_index(np.argmax(np.where(bad, err, -1.0)), e64.shape) if e64.ndim else ()
            return (
                f"leaf {where}{list(j) if j else ''} is {float(a64[j])!r}, expected "
                f"{float(e64[j])!r} "
                f"(|diff| {err[j]:.3g} > tolerance {tol[j] if np.ndim(tol) else tol:.3g}); "
                f"actual {a.text}, expected {e.text}"
            )
    return None


def trajectory_scales(traj: Trajectory) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Elementwise magnitudes of params (with update sizes) and opt_state along ``traj``."""
    steps = [
        jax.tree_util.tree_map(
            lambda new, old: np.asarray(new, np.float64) - np.asarray(old, np.float64), new, old
        )
        for old, new in zip(traj.params, traj.params[1:], strict=False)
    ]
    p_scale = magnitude(traj.params)
    if steps:
        p_scale = [np.add(a, b) for a, b in zip(p_scale, magnitude(steps), strict=True)]
    return p_scale, magnitude(traj.opt_states)


def same_value(observed: dict[str, Any], sent: Any) -> bool:
    """The implementation's process reports the very object it was given, or equal bits."""
    return (
        bool(observed.get("identical"))
        or bitwise_difference(tree(observed["tree"]), expected_tree(sent)) is None
    )
