"""Shared helpers of the TrainState properties (``conformance/test_train_state_*.py``).

- :func:`train_state_class`: the class under test, or a skip with the reason.
- :class:`Context`: the coordinates every assertion message ends with
  (implementation, optimizer, params structure, ``k``...).
- :func:`create` / :func:`apply_gradients`: call the implementation; if it
  raises, fail with a message that names the call, the contract point and the
  input (the original exception is chained).
- :func:`optax_loop`: the hand-written Optax loop the properties compare with.
- :func:`bitwise_difference` / :func:`close_difference`: compare pytrees,
  returning ``None`` or a one-line description of the first difference.
- :func:`step_problem`: why a step counter is not an integral scalar, if it is not.

The tolerance policy of :func:`close_difference` is documented there.
"""

from __future__ import annotations

import dataclasses
import numbers
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import jax
import numpy as np
import optax
import pytest

from conformance.calling import ImplementationRaised
from conformance.implementations import Implementation
from strategies.pytrees import show_tree, tree_shapes

CANONICAL_FIELDS: tuple[str, ...] = ("step", "apply_fn", "params", "tx", "opt_state")
"""The fields of ``flax.training.train_state.TrainState``, in its order."""
PYTREE_FIELDS: tuple[str, ...] = ("step", "params", "opt_state")
STATIC_FIELDS: tuple[str, ...] = ("apply_fn", "tx")


def train_state_class(impl: Implementation) -> type:
    """``impl``'s TrainState class; the test is skipped (with the reason) when there is none."""
    if impl.train_state is None:
        pytest.skip(
            f"{impl.name} defines no TrainState class: the TrainState properties apply only "
            "to modules that define one (its one_step is covered by the one-step properties)"
        )
    return impl.train_state


def apply_fn_a(variables: Any, x: Any) -> Any:
    """A stand-in ``apply_fn``: the properties only check that it is kept, never call it."""
    return x


def apply_fn_b(variables: Any, x: Any) -> Any:
    """A second stand-in, for properties that replace ``apply_fn``."""
    return -x


# --------------------------------------------------------------------------- messages


@dataclass
class Context:
    """``[impl=..., tx=..., params=..., ...]``: what a failing example was about."""

    impl: Implementation
    items: dict[str, Any] = dataclasses.field(default_factory=dict)

    def with_(self, **items: Any) -> Context:
        return Context(self.impl, {**self.items, **items})

    @property
    def name(self) -> str:
        return self.impl.name

    def __str__(self) -> str:
        parts = [f"{key}={value}" for key, value in self.items.items()]
        return "[" + "; ".join([f"impl={self.impl.name}", *parts]) + "]"


def first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else ""


def raised(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {first_line(exc)}"


def type_name(t: type) -> str:
    """``module.QualName``; a class from an ``--impl`` file shows as ``file.py:QualName``."""
    module = getattr(t, "__module__", "?")
    match = re.fullmatch(r"_trainstate_impl_(.+)_[0-9a-f]+", module)
    if match:
        return f"{match.group(1)}.py:{t.__qualname__}"
    return f"{module}.{t.__qualname__}"


def describe(value: Any) -> str:
    """A short description of any value, for messages."""
    shape = getattr(value, "shape", None)
    dtype = getattr(value, "dtype", None)
    if shape is not None and dtype is not None:
        return f"{type(value).__name__}(dtype={dtype}, shape={tuple(shape)}) = {show_tree(value)}"
    if hasattr(value, "apply_gradients"):
        step = getattr(value, "step", "?")
        return f"a {type_name(type(value))} with step={step!r:.40}"
    if callable(value) and hasattr(value, "__qualname__"):
        return f"the function {getattr(value, '__module__', '?')}.{value.__qualname__}"
    if isinstance(value, (int, float, str, bool, np.generic)) or value is None:
        return f"{type(value).__name__} {value!r:.60}"
    return f"a {type_name(type(value))}"


# --------------------------------------------------------------------------- calls


def create(
    ctx: Context,
    cls: type,
    *,
    params: Any,
    tx: optax.GradientTransformation,
    apply_fn: Callable[..., Any] = apply_fn_a,
    **kwargs: Any,
) -> Any:
    """``cls.create(apply_fn=..., params=..., tx=..., **kwargs)``, failing readably if it raises."""
    try:
        return cls.create(apply_fn=apply_fn, params=params, tx=tx, **kwargs)
    except Exception as exc:
        extra = "".join(f", {k}={v!r:.40}" for k, v in kwargs.items())
        raise ImplementationRaised(
            f"{ctx.name}: TrainState.create(apply_fn=..., params=..., tx=...{extra}) raised "
            f"{raised(exc)}; Flax's create(*, apply_fn, params, tx, **kwargs) accepts these "
            f"{ctx}"
        ) from exc


def apply_gradients(ctx: Context, state: Any, grads: Any, call: int = 1, **kwargs: Any) -> Any:
    """``state.apply_gradients(grads=grads, **kwargs)``, failing readably if it raises."""
    try:
        return state.apply_gradients(grads=grads, **kwargs)
    except Exception as exc:
        extra = "".join(f", {k}=..." for k in kwargs)
        raise ImplementationRaised(
            f"{ctx.name}: apply_gradients(grads=...{extra}) call {call} raised {raised(exc)}; "
            f"grads match params' structure, so Flax's apply_gradients applies them "
            f"(grads {tree_shapes(grads)}) {ctx}"
        ) from exc


def get_field(ctx: Context, state: Any, name: str) -> Any:
    try:
        return getattr(state, name)
    except AttributeError as exc:
        raise AssertionError(
            f"{ctx.name}: the state has no field {name!r} ({raised(exc)}); Flax's TrainState "
            f"has fields {', '.join(CANONICAL_FIELDS)} {ctx}"
        ) from exc


# --------------------------------------------------------------------------- step


def step_problem(step: Any) -> str | None:
    """``None`` if ``step`` is an integral scalar (Python/NumPy int, or 0-d integer array)."""
    if isinstance(step, (bool, np.bool_)):
        return f"a bool ({step!r})"
    if isinstance(step, numbers.Integral):
        return None
    dtype = getattr(step, "dtype", None)
    shape = getattr(step, "shape", None)
    if dtype is None or shape is None:
        return f"a {type(step).__name__} ({step!r:.60})"
    if tuple(shape) != ():
        return f"an array of shape {tuple(shape)}, not a scalar"
    if not np.issubdtype(np.dtype(dtype), np.integer):
        return f"a {type(step).__name__} of dtype {dtype}, not an integer dtype"
    return None


def check_step(ctx: Context, state: Any, expected: int, after: str) -> None:
    """``state.step`` is an integral scalar equal to ``expected``."""
    step = get_field(ctx, state, "step")
    problem = step_problem(step)
    assert problem is None, (
        f"{ctx.name}: step is {problem} {after}; it must be an integral count (Flax: the "
        f"Python int {expected}, or an int32 array under jax.jit) {ctx}"
    )
    assert int(step) == expected, (
        f"{ctx.name}: step is {int(step)} {after}, expected {expected}: create must start "
        f"at step 0 and each apply_gradients call must return step + 1 {ctx}"
    )


# --------------------------------------------------------------------------- Optax loop


@dataclass(frozen=True)
class Trajectory:
    """``params[i]`` and ``opt_states[i]`` after ``i`` updates of the hand-written loop."""

    params: list[Any]
    opt_states: list[Any]


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


# --------------------------------------------------------------------------- comparisons


@dataclass(frozen=True)
class Snapshot:
    """A copy of a pytree's structure and leaf bytes, to check it later bit for bit."""

    treedef: Any
    leaves: list[np.ndarray | Any]


def _copy_leaf(leaf: Any) -> Any:
    if isinstance(leaf, (jax.Array, np.ndarray, np.generic)):
        return np.array(leaf, copy=True)
    return leaf


def snapshot(tree: Any) -> Snapshot:
    leaves, treedef = jax.tree_util.tree_flatten(tree)
    return Snapshot(treedef, [_copy_leaf(leaf) for leaf in leaves])


def _bits_equal(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, (jax.Array, np.ndarray, np.generic)):
        a_arr, b_arr = np.asarray(a), np.asarray(b)
        return (
            a_arr.dtype == b_arr.dtype
            and a_arr.shape == b_arr.shape
            and a_arr.tobytes() == b_arr.tobytes()
        )
    return type(a) is type(b) and a == b


def bitwise_difference(tree: Any, expected: Snapshot | Any) -> str | None:
    """How ``tree`` differs from ``expected`` (a snapshot or a tree) in structure or bits."""
    if not isinstance(expected, Snapshot):
        expected = snapshot(expected)
    leaves, treedef = jax.tree_util.tree_flatten(tree)
    if treedef != expected.treedef:
        return f"pytree structure is {treedef}, expected {expected.treedef}"
    paths = [p for p, _ in jax.tree_util.tree_flatten_with_path(tree)[0]]
    for path, leaf, want in zip(paths, leaves, expected.leaves, strict=True):
        if not _bits_equal(want, leaf):
            return (
                f"leaf {jax.tree_util.keystr(path) or '<root>'} is {describe(leaf)}, "
                f"expected {describe(want)}"
            )
    return None


UNIT_ROUNDOFF = 2.0**-24
ULPS_PER_UPDATE = 16
"""Rounding budget per update, in units of the float32 unit roundoff (so ~1e-6 relative)."""
FLOOR = 4 * float(np.finfo(np.float32).tiny)


def magnitude(trees: Sequence[Any]) -> Any:
    """Elementwise ``max |leaf|`` over several trees of one structure (for tolerances)."""

    def biggest(*leaves: Any) -> np.ndarray:
        arrays = [np.abs(np.asarray(leaf, np.float64)) for leaf in leaves]
        return np.maximum.reduce(arrays)

    return jax.tree_util.tree_map(biggest, *trees)


def close_difference(actual: Any, expected: Any, scale: Any, k: int) -> str | None:
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
    a_leaves, a_def = jax.tree_util.tree_flatten(actual)
    e_leaves, e_def = jax.tree_util.tree_flatten(expected)
    if a_def != e_def:
        return f"pytree structure is {a_def}, expected {e_def}"
    s_leaves = jax.tree_util.tree_leaves(scale)
    paths = [p for p, _ in jax.tree_util.tree_flatten_with_path(expected)[0]]
    for path, a, e, s in zip(paths, a_leaves, e_leaves, s_leaves, strict=True):
        where = jax.tree_util.keystr(path) or "<root>"
        a_arr, e_arr = np.asarray(a), np.asarray(e)
        if a_arr.shape != e_arr.shape:
            return f"leaf {where} has shape {a_arr.shape}, expected {e_arr.shape}"
        if a_arr.dtype != e_arr.dtype:
            return f"leaf {where} has dtype {a_arr.dtype}, expected {e_arr.dtype}"
        if not np.issubdtype(e_arr.dtype, np.inexact):
            if not np.array_equal(a_arr, e_arr):
                return f"leaf {where} is {show_tree(a_arr)}, expected exactly {show_tree(e_arr)}"
            continue
        a64, e64 = a_arr.astype(np.float64), e_arr.astype(np.float64)
        tol = k * ULPS_PER_UPDATE * UNIT_ROUNDOFF * np.asarray(s) + FLOOR
        err = np.abs(a64 - e64)
        bad = ~(err <= tol)  # NaN counts as bad
        if np.any(bad):
            j = (
                np.unravel_index(np.argmax(np.where(bad, err, -1.0)), e_arr.shape)
                if (e_arr.ndim)
                else ()
            )
            return (
                f"leaf {where}{list(j) if j else ''} is {float(a64[j])!r}, expected "
                f"{float(e64[j])!r} "
                f"(|diff| {err[j]:.3g} > tolerance {tol[j] if np.ndim(tol) else tol:.3g}); "
                f"actual {show_tree(a_arr)}, expected {show_tree(e_arr)}"
            )
    return None


def trajectory_scales(traj: Trajectory) -> tuple[Any, Any]:
    """Elementwise magnitudes of params (with update sizes) and opt_state along ``traj``."""
    steps = [
        jax.tree_util.tree_map(
            lambda new, old: np.asarray(new, np.float64) - np.asarray(old, np.float64), new, old
        )
        for old, new in zip(traj.params, traj.params[1:], strict=False)
    ]
    p_scale = magnitude(traj.params)
    if steps:
        p_scale = jax.tree_util.tree_map(np.add, p_scale, magnitude(steps))
    return p_scale, magnitude(traj.opt_states)


def extra_fields(cls: type) -> list[dataclasses.Field[Any]] | None:
    """The init fields beyond Flax's five; ``None`` if ``cls`` is not a dataclass."""
    if not dataclasses.is_dataclass(cls):
        return None
    return [f for f in dataclasses.fields(cls) if f.init and f.name not in CANONICAL_FIELDS]


def field_default(f: dataclasses.Field[Any]) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return dataclasses.MISSING


def same_value(a: Any, b: Any) -> bool:
    """``a is b``, or equal values (arrays and trees compared leaf by leaf, bit for bit)."""
    if a is b:
        return True
    try:
        return bitwise_difference(a, b) is None
    except Exception:
        return False


def extra_value(data: Any, f: dataclasses.Field[Any], label: str) -> Any:
    """Draw a value for an extra field that differs from its default, shaped like it."""
    from hypothesis import strategies as st

    from strategies.pytrees import leaf_arrays

    default = field_default(f)
    if isinstance(default, bool):
        return not default
    if isinstance(default, int):
        return data.draw(st.integers(1, 1000).filter(lambda v: v != default), label=label)
    if isinstance(default, float):
        return data.draw(st.floats(-100, 100, width=32).filter(lambda v: v != default), label=label)
    if isinstance(default, str):
        return data.draw(
            st.text("abcxyz", min_size=1, max_size=4).filter(lambda v: v != default), label=label
        )
    import jax.numpy as jnp

    return jnp.asarray(data.draw(leaf_arrays((2,), 4.0), label=label))
