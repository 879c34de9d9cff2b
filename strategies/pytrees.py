"""Parameter pytrees, matching gradient pytrees, and gradient pytrees that do not match.

A params tree is described by a hashable :class:`TreeSpec`: nested dicts whose
leaves are float32 arrays with shapes from the small pool :data:`LEAF_SHAPES`
(scalars included), at most four leaves, at most two levels deep, optionally
wrapped in a Flax ``FrozenDict``.  The nestings come from a fixed pool
(:data:`SPEC_POOL`) beside the params of real Flax modules (``nn.Dense``, a
two-layer MLP), with either their Linen initial values or drawn ones.

The pools are small on purpose: every array is tiny, JAX compiles its eager
ops (and Optax its tree-wide helpers) once per shape or structure, and the
properties that compile ``apply_gradients`` draw from :data:`JIT_SPECS` only.

Values are finite float32 numbers within a bound, never subnormal (XLA on CPU
may flush subnormals to zero, which is not what these properties are about):
zeros, a constant, drawn element by element, or uniform / mixed-magnitude
arrays from a drawn NumPy seed.  Shrinking moves towards the first spec of
each pool and towards zeros.

Mismatched gradients (:func:`mismatched_grads`) start from a matching tree
and break its structure in one named way: an extra key, a missing key, a leaf
wrapped in a dict, a sub-dict replaced by a leaf, a dict turned into a list,
or ``dict`` and ``FrozenDict`` swapped.  The description says which and where.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

# Imported here, not inside a strategy: importing Flax the first time calls the global
# `random` module (rich draws an id), which Hypothesis forbids during a draw.
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
from flax.core import FrozenDict, freeze, unfreeze
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.extra import numpy as hnp

from conformance.isolation.trees import show_array
from conformance.strategies.arguments import instance, positive_float
from conformance.strategies.cached import choice
from conformance.strategies.printing import ShownByRepr

Shape = tuple[int, ...]

LEAF_SHAPES: tuple[Shape, ...] = ((), (3,), (2, 3), (1,), (3, 1))
"""Leaf shapes: a scalar, vectors (one of length 1), matrices (one a column)."""

EXTRA_KEYS: tuple[str, ...] = ("zz_extra", "extra", "a_extra")
"""Keys that mismatched trees add; no params tree has them, and the first sorts last."""

PARAM_BOUND = 4.0
"""Params lie in ``[-PARAM_BOUND, PARAM_BOUND]``."""
GRAD_BOUND = 4.0
"""Gradients lie in ``[-GRAD_BOUND, GRAD_BOUND]``."""


@dataclass(frozen=True)
class TreeSpec(ShownByRepr):
    """Structure and leaf shapes of a params tree: nested dicts of float32 arrays.

    ``items`` pairs each key with a shape (a leaf) or a nested ``TreeSpec``;
    ``frozen`` wraps the root in a Flax ``FrozenDict``; ``origin`` says where
    the structure comes from (``"drawn"`` or the Flax module).
    """

    items: tuple[tuple[str, Shape | TreeSpec], ...]
    frozen: bool = False
    origin: str = "drawn"

    def __str__(self) -> str:
        body = _spec_str(self)
        if self.frozen:
            body = f"FrozenDict({body})"
        return body if self.origin == "drawn" else f"{body} [{self.origin}]"

    __repr__ = __str__

    def leaf_paths(self) -> list[tuple[tuple[str, ...], Shape]]:
        """``(path, shape)`` of every leaf, in the sorted-key order JAX flattens dicts."""
        return list(_leaf_paths(self, ()))

    def with_frozen(self, frozen: bool) -> TreeSpec:
        return TreeSpec(self.items, frozen=frozen, origin=self.origin)

    def build(self, leaves: list[Any]) -> Any:
        """The tree with these leaves (in :meth:`leaf_paths` order)."""
        it = iter(leaves)
        tree = _build(self, it)
        if next(it, None) is not None:
            raise ValueError(f"too many leaves for {self}")
        if self.frozen:
            return freeze(tree)
        return tree


def _spec_str(spec: TreeSpec) -> str:
    parts = []
    for key, value in spec.items:
        shown = _spec_str(value) if isinstance(value, TreeSpec) else shape_str(value)
        parts.append(f"{key}: {shown}")
    return "{" + ", ".join(parts) + "}"


def shape_str(shape: Shape) -> str:
    return "f32[" + ",".join(str(n) for n in shape) + "]"


def _leaf_paths(spec: TreeSpec, prefix: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Shape]]:
    for key, value in sorted(spec.items, key=lambda kv: kv[0]):
        if isinstance(value, TreeSpec):
            yield from _leaf_paths(value, (*prefix, key))
        else:
            yield (*prefix, key), value


def _build(spec: TreeSpec, leaves: Iterator[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in sorted(spec.items, key=lambda kv: kv[0]):
        out[key] = _build(value, leaves) if isinstance(value, TreeSpec) else next(leaves)
    # Insertion order as in the spec, values assigned in sorted order (JAX's order).
    return {key: out[key] for key, _ in spec.items}


def spec_of(tree: Any, origin: str = "drawn") -> TreeSpec:
    """The spec of a (possibly frozen) nested dict of arrays."""
    frozen = isinstance(tree, FrozenDict)

    def go(node: Mapping[str, Any]) -> TreeSpec:
        items: list[tuple[str, Shape | TreeSpec]] = []
        for key, value in node.items():
            if isinstance(value, Mapping):
                items.append((key, go(value)))
            else:
                items.append((key, tuple(np.shape(value))))
        return TreeSpec(tuple(items))

    inner = go(tree)
    return TreeSpec(inner.items, frozen=frozen, origin=origin)


# --------------------------------------------------------------------------- specs


def _spec(**items: Shape | dict[str, Shape]) -> TreeSpec:
    return TreeSpec(
        tuple(
            (key, TreeSpec(tuple(value.items())) if isinstance(value, dict) else value)
            for key, value in items.items()
        )
    )


SPEC_POOL: tuple[TreeSpec, ...] = (
    _spec(w=()),
    _spec(w=(3,)),
    _spec(a=(3,), b=()),
    _spec(a=(2, 3), b={"bias": (3,), "kernel": (3, 1)}),
    _spec(kernel=(1,), w={"b": (3,), "a": ()}, bias=(2, 3)),
    _spec(b={"w": (3, 1)}, a={"kernel": (2, 3), "bias": (3,)}),
    _spec(w=(2, 3), kernel=(3,), b=(1,), a=()),
)
"""The drawn nestings, simplest first: one scalar or vector, flat and nested
dicts, keys inserted out of sorted order (JAX flattens dicts by sorted key),
sub-dicts with one and with two leaves, four leaves.

A fixed pool rather than free generation because Optax jits some helpers over
whole trees (``tree_bias_correction``): every new structure costs a compile of
~50 ms, which would dominate the run.  With this pool, the Flax modules and
``FrozenDict`` variants, a run meets at most 20 structures.
"""


FLAX_MODULES: tuple[str, ...] = ("nn.Dense(3) on D=2", "TinyMLP(3, 1) on D=2", "nn.Dense(1) on D=3")
"""The Flax modules whose params structures are drawn (see :func:`flax_module_params`).

Their kernels and biases have shapes from :data:`LEAF_SHAPES`, so they add no
new shapes for JAX to compile its eager ops for.
"""


def _flax_module(name: str) -> tuple[Any, int]:
    class TinyMLP(nn.Module):
        hidden: int = 3
        out: int = 1

        @nn.compact
        def __call__(self, x: Any) -> Any:
            x = nn.relu(nn.Dense(self.hidden)(x))
            return nn.Dense(self.out)(x)

    modules: dict[str, tuple[Any, int]] = {
        "nn.Dense(3) on D=2": (nn.Dense(3), 2),
        "TinyMLP(3, 1) on D=2": (TinyMLP(hidden=3, out=1), 2),
        "nn.Dense(1) on D=3": (nn.Dense(1), 3),
    }
    return modules[name]


@functools.cache
def flax_module_params(name: str, seed: int) -> Any:
    """``module.init(PRNGKey(seed), ones((1, D)))["params"]`` of a Flax module, cached.

    The arrays are JAX arrays (immutable), so sharing them through the cache is safe.
    """
    module, d = _flax_module(name)
    return module.init(jax.random.PRNGKey(seed), jnp.ones((1, d), jnp.float32))["params"]


@functools.cache
def flax_module_spec(name: str) -> TreeSpec:
    """The params structure of a Flax module, key order included (from its cached init)."""
    return spec_of(flax_module_params(name, 0), origin=name)


@functools.cache
def flax_specs() -> st.SearchStrategy[TreeSpec]:
    return st.sampled_from(FLAX_MODULES).map(flax_module_spec)


@functools.cache
def param_specs(allow_frozen: bool = True) -> st.SearchStrategy[TreeSpec]:
    """A nesting from :data:`SPEC_POOL` or a Flax module's, as ``dict`` or ``FrozenDict``."""
    base = st.one_of(st.sampled_from(SPEC_POOL), flax_specs())
    if not allow_frozen:
        return base
    return st.tuples(base, st.booleans()).map(lambda sf: sf[0].with_frozen(sf[1]))


JIT_SPECS: tuple[TreeSpec, ...] = (SPEC_POOL[0], SPEC_POOL[3])
"""The few structures the compiling properties use (plus :data:`FLAX_MODULES`' first)."""


@functools.cache
def jit_specs() -> st.SearchStrategy[TreeSpec]:
    """Specs for properties that compile: few, so that compiles stay few."""
    return st.one_of(st.sampled_from(JIT_SPECS), st.just(FLAX_MODULES[0]).map(flax_module_spec))


# --------------------------------------------------------------------------- values


@functools.cache
def _floats(bound: float) -> st.SearchStrategy[float]:
    return st.floats(-bound, bound, width=32, allow_subnormal=False)


@functools.cache
def _elementwise(shape: Shape, bound: float) -> st.SearchStrategy[np.ndarray]:
    return hnp.arrays(np.float32, shape, elements=_floats(bound))


_GENERATOR_SEEDS = st.integers(0, 2**32 - 1)
_LINEN_SEEDS = st.integers(0, 3)
_BOOLEANS = st.booleans()


VALUE_KINDS: tuple[str, ...] = ("zeros", "constant", "elementwise", "uniform", "mixed scales")
"""How a leaf's values are drawn; shrinking moves towards the first."""


@functools.cache
@st.composite
def leaf_arrays(draw: st.DrawFn, shape: Shape, bound: float) -> np.ndarray:
    """A float32 array of ``shape`` with finite, normal-or-zero entries in ``[-bound, bound]``.

    Drawing every element through Hypothesis costs a few hundred microseconds
    per leaf, more than the property itself, so only ``"elementwise"`` leaves
    do; ``"uniform"`` and ``"mixed scales"`` (magnitudes from ``bound`` down to
    ``1e-6 * bound``) come from a NumPy generator seeded by a drawn integer,
    which keeps them reproducible from the printed example.
    """
    kind = draw(choice(VALUE_KINDS))
    if kind == "zeros":
        return np.zeros(shape, np.float32)
    if kind == "constant":
        return np.full(shape, draw(_floats(bound)), np.float32)
    if kind == "elementwise":
        return draw(_elementwise(shape, bound))
    rng = np.random.default_rng(draw(_GENERATOR_SEEDS))
    values = rng.uniform(-bound, bound, shape)
    if kind == "mixed scales":
        values = values * 10.0 ** rng.integers(-6, 1, shape)
    return np.asarray(values, np.float32)


def show_tree(tree: Any) -> str:
    """A compact one-line rendering of a tree with its (small) values."""

    def go(node: Any) -> str:
        if isinstance(node, Mapping):
            body = "{" + ", ".join(f"{k}: {go(v)}" for k, v in node.items()) + "}"
            return f"FrozenDict({body})" if isinstance(node, FrozenDict) else body
        if isinstance(node, (list, tuple)):
            return "[" + ", ".join(go(v) for v in node) + "]"
        if isinstance(node, (np.ndarray, jax.Array, np.generic)):
            return show_array(node)
        return repr(node)

    return go(tree)


@dataclass(frozen=True)
class TreeCase(ShownByRepr):
    """A drawn tree: its spec, the tree (JAX arrays), and how its values were made."""

    spec: TreeSpec
    tree: Any = field(repr=False, compare=False)
    values: str = "drawn"

    def __repr__(self) -> str:
        return f"{self.spec} ({self.values} values) = {show_tree(self.tree)}"


def _to_jax(leaves: list[np.ndarray]) -> list[Any]:
    return [jnp.asarray(leaf) for leaf in leaves]


def trees(spec: TreeSpec, *, bound: float = PARAM_BOUND) -> st.SearchStrategy[TreeCase]:
    """A tree of ``spec`` (a :class:`TreeSpec`) with drawn values in ``[-bound, bound]``."""
    return _trees(instance("spec", spec, TreeSpec), positive_float("bound", bound))


@functools.cache
@st.composite
def _trees(draw: st.DrawFn, spec: TreeSpec, bound: float) -> TreeCase:
    leaves = [draw(leaf_arrays(shape, bound)) for _, shape in spec.leaf_paths()]
    return TreeCase(spec, spec.build(_to_jax(leaves)))


def params(*, specs: st.SearchStrategy[TreeSpec] | None = None) -> st.SearchStrategy[TreeCase]:
    """Params: a spec from ``specs`` (a strategy of :class:`TreeSpec`; default
    :func:`param_specs`) with values, as a :class:`TreeCase`.

    A Flax module's params get its Linen initial values (seed 0..3) or drawn ones.
    """
    if specs is not None:
        instance("specs", specs, st.SearchStrategy)
    return _params(specs)


@functools.cache
@st.composite
def _params(draw: st.DrawFn, specs: st.SearchStrategy[TreeSpec] | None) -> TreeCase:
    spec = draw(specs if specs is not None else param_specs())
    if spec.origin in FLAX_MODULES and draw(_BOOLEANS):
        seed = draw(_LINEN_SEEDS)
        tree = flax_module_params(spec.origin, seed)
        if spec.frozen:
            tree = freeze(tree)
        return TreeCase(spec, tree, values=f"Linen init, seed {seed}")
    return draw(_trees(spec, PARAM_BOUND))


def grads(spec: TreeSpec) -> st.SearchStrategy[TreeCase]:
    """Gradients matching ``spec`` (structure, container, shapes), within ``GRAD_BOUND``."""
    return _trees(instance("spec", spec, TreeSpec), GRAD_BOUND)


@dataclass(frozen=True)
class GradSequence(ShownByRepr):
    """``k`` gradient trees, one per ``apply_gradients`` call."""

    spec: TreeSpec
    trees: tuple[Any, ...] = field(repr=False, compare=False)

    @property
    def k(self) -> int:
        return len(self.trees)

    def __repr__(self) -> str:
        return f"{self.k} x {self.spec}: " + "; ".join(show_tree(t) for t in self.trees)


def grad_sequences(spec: TreeSpec, k: int) -> st.SearchStrategy[GradSequence]:
    """``k`` gradient trees matching ``spec``, one per ``apply_gradients`` call."""
    return _grad_sequences(instance("spec", spec, TreeSpec), _count("k", k))


def _count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidArgument(f"{name}={value!r} must be an integer >= 0")
    return value


@functools.cache
@st.composite
def _grad_sequences(draw: st.DrawFn, spec: TreeSpec, k: int) -> GradSequence:
    return GradSequence(spec, tuple(draw(_trees(spec, GRAD_BOUND)).tree for _ in range(k)))


# --------------------------------------------------------------------------- mismatches

MISMATCH_KINDS: tuple[str, ...] = (
    "extra key",
    "missing key",
    "leaf wrapped in a dict",
    "sub-dict replaced by a leaf",
    "dict turned into a list",
    "dict/FrozenDict swapped",
)


@dataclass(frozen=True)
class MismatchCase(ShownByRepr):
    """Gradients whose pytree structure differs from ``spec``'s in the described way."""

    spec: TreeSpec
    kind: str
    where: str
    tree: Any = field(repr=False, compare=False)

    @property
    def description(self) -> str:
        return f"{self.kind} ({self.where})"

    def __repr__(self) -> str:
        return f"{self.description}: params {self.spec}, grads {show_tree(self.tree)}"


def _dict_paths(node: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Paths of every dict node (the root is ``()``)."""
    out = [prefix]
    for key, value in node.items():
        if isinstance(value, Mapping):
            out.extend(_dict_paths(value, (*prefix, key)))
    return out


def _get(node: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        node = node[key]
    return node


def _set(root: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    """A copy of ``root`` (plain dicts) with ``path`` set to ``value``; ``()`` is the root."""
    if not path:
        # The new root: a dict at every call (a list root is built without this function).
        return cast("dict[str, Any]", value)
    head, rest = path[0], path[1:]
    out = dict(root)
    out[head] = _set(dict(root[head]), rest, value) if rest else value
    return out


def _where(path: tuple[str, ...]) -> str:
    return "at the root" if not path else "under " + "/".join(path)


def _thaw(tree: Any) -> dict[str, Any]:
    return unfreeze(tree) if isinstance(tree, FrozenDict) else tree


def mismatched_grads(spec: TreeSpec) -> st.SearchStrategy[MismatchCase]:
    """Gradients with finite values whose structure differs from ``spec``'s in one named way."""
    return _mismatched_grads(instance("spec", spec, TreeSpec))


@functools.cache
@st.composite
def _mismatched_grads(draw: st.DrawFn, spec: TreeSpec) -> MismatchCase:
    base = _thaw(draw(_trees(spec, GRAD_BOUND)).tree)
    kind = draw(choice(MISMATCH_KINDS))
    dict_paths = _dict_paths(base)
    nested = [p for p in dict_paths if p]
    leaf_paths = [path for path, _ in spec.leaf_paths()]

    def refreeze(tree: Any) -> Any:
        return freeze(tree) if spec.frozen and isinstance(tree, dict) else tree

    if kind == "sub-dict replaced by a leaf" and not nested:
        kind = "leaf wrapped in a dict"
    if kind == "extra key":
        path = draw(choice(tuple(dict_paths)))
        key = draw(choice(tuple(k for k in EXTRA_KEYS if k not in _get(base, path))))
        leaf = draw(leaf_arrays(draw(choice(LEAF_SHAPES)), GRAD_BOUND))
        target = dict(_get(base, path))
        target[key] = _to_jax([leaf])[0]
        tree = refreeze(_set(base, path, target))
        where = f"{key!r} {_where(path)}"
    elif kind == "missing key":
        path = draw(choice(tuple(dict_paths)))
        target = dict(_get(base, path))
        key = draw(choice(tuple(sorted(target))))
        del target[key]
        tree = refreeze(_set(base, path, target))
        where = f"{key!r} {_where(path)}"
    elif kind == "leaf wrapped in a dict":
        path = draw(choice(tuple(leaf_paths)))
        tree = refreeze(_set(base, path, {"w": _get(base, path)}))
        where = f"{'/'.join(path)} -> {{'w': leaf}}"
    elif kind == "sub-dict replaced by a leaf":
        path = draw(choice(tuple(nested)))
        sub = _get(base, path)
        first = sub[sorted(sub)[0]]
        tree = refreeze(_set(base, path, first))
        where = f"{'/'.join(path)} -> its first leaf"
    elif kind == "dict turned into a list":
        path = draw(choice(tuple(dict_paths)))
        sub = _get(base, path)
        as_list = [sub[k] for k in sorted(sub)]  # same leaves in the same order
        tree = _set(base, path, as_list) if path else as_list
        tree = refreeze(tree)
        where = f"{_where(path)}, same leaves in the same order"
    else:  # dict/FrozenDict swapped
        tree = base if spec.frozen else freeze(base)
        where = "grads are a " + ("dict, params a FrozenDict" if spec.frozen else "FrozenDict")
        assert isinstance(tree, FrozenDict) != spec.frozen
    return MismatchCase(spec, kind, where, tree)


# --------------------------------------------------------------------------- helpers


def tree_shapes(tree: Any) -> str:
    """``path: dtype[shape]`` of every leaf of any pytree, for messages."""

    parts = []
    for path, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]:
        arr = np.asarray(leaf) if not callable(leaf) else None
        shown = (
            f"{arr.dtype}[{','.join(map(str, arr.shape))}]"
            if arr is not None
            else type(leaf).__name__
        )
        parts.append(f"{jax.tree_util.keystr(path) or '<root>'}: {shown}")
    return "{" + ", ".join(parts) + "}"
