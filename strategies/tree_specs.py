"""The structures of params trees: a hashable :class:`TreeSpec`, the drawn pool, Flax modules' own.

A params tree is nested dicts whose leaves are float32 arrays with shapes
from the small pool :data:`LEAF_SHAPES` (scalars included), at most four
leaves, at most two levels deep, optionally wrapped in a Flax ``FrozenDict``.
The nestings come from a fixed pool (:data:`SPEC_POOL`) beside the params of
real Flax modules (``nn.Dense``, a two-layer MLP).  The pools are small on
purpose: JAX compiles its eager ops (and Optax its tree-wide helpers) once
per shape or structure, and the properties that compile ``apply_gradients``
draw from :data:`JIT_SPECS` only.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

# Imported here, not inside a strategy: importing Flax the first time calls the global
# `random` module (rich draws an id), which Hypothesis forbids during a draw.
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
from flax.core import FrozenDict, freeze
from hypothesis import strategies as st

from conformance.isolation.trees import namedtuple_fields, params_namedtuple
from conformance.strategies.printing import ShownByRepr

Shape = tuple[int, ...]

LEAF_SHAPES: tuple[Shape, ...] = ((), (3,), (2, 3), (1,), (3, 1))
"""Leaf shapes: a scalar, vectors (one of length 1), matrices (one a column)."""


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
    container: str = "dict"
    """The root's container: ``"dict"``; ``"tuple"`` or ``"list"`` (Haiku- and Equinox-style
    params), whose items' keys are their positions ``"0"``, ``"1"``, ...; or ``"namedtuple"``
    (pure-JAX params, :func:`~conformance.isolation.trees.params_namedtuple`), whose keys are
    its fields."""

    @classmethod
    def of(
        cls,
        items: Mapping[str, Any],
        *,
        frozen: bool = False,
        origin: str = "drawn",
        container: str = "dict",
    ) -> TreeSpec:
        """The spec of nested dicts of leaf shapes: ``TreeSpec.of({"a": (3,), "b": {"c": ()}})``."""
        pairs = tuple(
            (key, cls.of(value) if isinstance(value, Mapping) else tuple(value))
            for key, value in items.items()
        )
        return cls(pairs, frozen=frozen, origin=origin, container=container)

    def __str__(self) -> str:
        body = _spec_text(self, code=False)
        if self.frozen:
            body = f"FrozenDict({body})"
        return body if self.origin == "drawn" else f"{body} [{self.origin}]"

    def __repr__(self) -> str:
        keywords = [f", frozen={self.frozen!r}"] if self.frozen else []
        if self.origin != "drawn":
            keywords.append(f", origin={self.origin!r}")
        if self.container != "dict":
            keywords.append(f", container={self.container!r}")
        return f"TreeSpec.of({_spec_text(self, code=True, as_dict=True)}{''.join(keywords)})"

    def leaf_paths(self) -> list[tuple[tuple[str, ...], Shape]]:
        """``(path, shape)`` of every leaf, in JAX's order: dicts by sorted key, a tuple or list
        by position."""
        return list(_leaf_paths(self, ()))

    def with_frozen(self, frozen: bool) -> TreeSpec:
        """This spec in a ``FrozenDict`` (a dict root only: a tuple or list stays itself)."""
        if self.container != "dict":
            return self
        return TreeSpec(self.items, frozen=frozen, origin=self.origin)

    def build(self, leaves: list[Any]) -> Any:
        """The tree with these leaves (in :meth:`leaf_paths` order)."""
        it = iter(leaves)
        tree = _build(self, it)
        if next(it, None) is not None:
            raise ValueError(f"too many leaves for {self}")
        if self.frozen:
            return freeze(tree)
        if self.container == "namedtuple":
            return params_namedtuple(tuple(tree))._make(tree.values())
        if self.container != "dict":
            return _SEQUENCES[self.container](tree.values())
        return tree


_SEQUENCES: dict[str, type] = {"tuple": tuple, "list": list}


def _spec_text(spec: TreeSpec, *, code: bool, as_dict: bool = False) -> str:
    """The nesting as messages show it (``{a: f32[3]}``, ``(f32[3], {b: f32[]})``) or as code
    (``{'a': (3,)}``); ``as_dict``: a tuple or list root as the dict of its positions."""
    parts = []
    sequence = spec.container != "dict" and not as_dict
    for key, value in spec.items:
        if isinstance(value, TreeSpec):
            shown = _spec_text(value, code=code)
        else:
            shown = repr(value) if code else shape_str(value)
        if sequence:
            parts.append(shown)
        else:
            parts.append(f"{key!r}: {shown}" if code else f"{key}: {shown}")
    if spec.container == "namedtuple" and not as_dict:
        fields = (f"{key}={shown}" for (key, _), shown in zip(spec.items, parts, strict=True))
        return "Params(" + ", ".join(fields) + ")"
    if sequence:
        opening, closing = ("(", ",)" if len(parts) == 1 else ")")
        if spec.container == "list":
            opening, closing = "[", "]"
        return opening + ", ".join(parts) + closing
    return "{" + ", ".join(parts) + "}"


def shape_str(shape: Shape) -> str:
    return "f32[" + ",".join(str(n) for n in shape) + "]"


def _ordered(spec: TreeSpec) -> list[tuple[str, Shape | TreeSpec]]:
    if spec.container != "dict":
        return list(spec.items)
    return sorted(spec.items, key=lambda kv: kv[0])


def _leaf_paths(spec: TreeSpec, prefix: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Shape]]:
    for key, value in _ordered(spec):
        if isinstance(value, TreeSpec):
            yield from _leaf_paths(value, (*prefix, key))
        else:
            yield (*prefix, key), value


def _build(spec: TreeSpec, leaves: Iterator[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in _ordered(spec):
        out[key] = _build(value, leaves) if isinstance(value, TreeSpec) else next(leaves)
    # Insertion order as in the spec, values assigned in sorted order (JAX's order).
    return {key: out[key] for key, _ in spec.items}


def spec_of(tree: Any, origin: str = "drawn") -> TreeSpec:
    """The spec of a (possibly frozen) nested dict of arrays, or of a tuple or list of such
    dicts and arrays."""
    frozen = isinstance(tree, FrozenDict)
    fields = namedtuple_fields(tree)
    if fields is not None:
        inner = spec_of(dict(zip(fields, tree, strict=True)))
        return TreeSpec(inner.items, origin=origin, container="namedtuple")
    if type(tree) in (tuple, list):
        inner = spec_of({str(i): value for i, value in enumerate(tree)})
        return TreeSpec(inner.items, origin=origin, container=type(tree).__name__)

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
    return TreeSpec.of(items)


SPEC_POOL: tuple[TreeSpec, ...] = (
    _spec(w=()),
    _spec(w=(3,)),
    _spec(a=(3,), b=()),
    _spec(a=(2, 3), b={"bias": (3,), "kernel": (3, 1)}),
    _spec(kernel=(1,), w={"b": (3,), "a": ()}, bias=(2, 3)),
    TreeSpec.of({"mlp/~/linear_1": {"w": (3, 1)}, "mlp/~/linear_0": {"w": (2, 3), "b": (3,)}}),
    TreeSpec.of({"w": (2, 3), "mlp/~/linear_0": (3,), "layer.0.weight": (1,), "a": ()}),
)
"""The drawn nestings, simplest first: one scalar or vector, flat and nested
dicts, keys inserted out of sorted order (JAX flattens dicts by sorted key),
sub-dicts with one and with two leaves, four leaves.  Keys are names as params
carry them: Haiku's module paths (``"mlp/~/linear_0"``) and PyTorch-converted
names (``"layer.0.weight"``) as well as identifiers, so that code which joins
and splits key paths on ``/`` or ``.`` (a freeze mask, a flattened update) meets
keys that contain them; the last nesting is pinned (:func:`train_state_pins`).

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
def param_specs(allow_frozen: bool = True, sequences: bool = False) -> st.SearchStrategy[TreeSpec]:
    """A nesting from :data:`SPEC_POOL` or a Flax module's, as ``dict`` or ``FrozenDict``; with
    ``sequences``, also a tuple or list root (:data:`SEQUENCE_SPECS`)."""
    base = st.one_of(st.sampled_from(SPEC_POOL), flax_specs())
    if allow_frozen:
        base = st.tuples(base, st.booleans()).map(lambda sf: sf[0].with_frozen(sf[1]))
    if sequences:
        base = st.one_of(base, st.sampled_from(SEQUENCE_SPECS))
    return base


SEQUENCE_SPECS: tuple[TreeSpec, ...] = (
    TreeSpec.of({"0": (3,), "1": (2, 3)}, container="tuple"),
    TreeSpec.of({"0": (3, 1), "1": {"b": (3,)}}, container="list"),
    TreeSpec.of({"w": (3,), "b": ()}, container="namedtuple"),
)
"""Params that are a tuple or a list (Haiku- and Equinox-style): leaves of different shapes,
so that code that takes a sequence for one array (``np.shape`` of it, say) fails, and a
dict inside one; and a NamedTuple of a vector and a scalar (pure JAX's ``Params(w, b)``),
which code that rebuilds a sequence with ``type(p)(generator)`` cannot rebuild.  Flax's
``apply_gradients`` maps Optax over any pytree.  Drawn by the properties that apply
matching gradients (:func:`param_specs` with ``sequences``)."""


JIT_SPECS: tuple[TreeSpec, ...] = (SPEC_POOL[0], SPEC_POOL[3])
"""The few structures the compiling properties use (plus :data:`FLAX_MODULES`' first)."""


@functools.cache
def jit_specs() -> st.SearchStrategy[TreeSpec]:
    """Specs for properties that compile: few, so that compiles stay few."""
    return st.one_of(st.sampled_from(JIT_SPECS), st.just(FLAX_MODULES[0]).map(flax_module_spec))
