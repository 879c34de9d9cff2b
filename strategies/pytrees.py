"""Parameter and gradient pytrees with values: :func:`params`, :func:`trees`, :func:`grads`,
:func:`grad_sequences`.

The structures come from :mod:`conformance.strategies.tree_specs`; a Flax
module's params get its Linen initial values (seed 0..3) or drawn ones.
Values are finite float32 numbers within a bound, never subnormal (XLA on CPU
may flush subnormals to zero, which is not what these properties are about):
zeros, a constant, drawn element by element, or uniform / mixed-magnitude
arrays from a drawn NumPy seed.  Shrinking moves towards the first spec of
each pool and towards zeros.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

# Imported here, not inside a strategy: importing Flax the first time calls the global
# `random` module (rich draws an id), which Hypothesis forbids during a draw.
import jax
import numpy as np
from flax.core import freeze
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.extra import numpy as hnp

from conformance.strategies.arguments import instance, positive_float
from conformance.strategies.cached import choice
from conformance.strategies.printing import ShownByRepr, tree_code
from conformance.strategies.tree_specs import (
    FLAX_MODULES,
    Shape,
    TreeSpec,
    flax_module_params,
    param_specs,
    spec_of,
)

PARAM_BOUND = 4.0
"""Params lie in ``[-PARAM_BOUND, PARAM_BOUND]``."""
GRAD_BOUND = 4.0
"""Gradients lie in ``[-GRAD_BOUND, GRAD_BOUND]``."""


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
    kind = draw(choice(VALUE_KINDS), label="leaf values")
    if kind == "zeros":
        return np.zeros(shape, np.float32)
    if kind == "constant":
        return np.full(shape, draw(_floats(bound), label="constant"), np.float32)
    if kind == "elementwise":
        return draw(_elementwise(shape, bound), label="elements")
    rng = np.random.default_rng(draw(_GENERATOR_SEEDS, label="leaf seed"))
    values = rng.uniform(-bound, bound, shape)
    if kind == "mixed scales":
        values = values * 10.0 ** rng.integers(-6, 1, shape)
    return np.asarray(values, np.float32)


@dataclass(frozen=True)
class TreeCase(ShownByRepr):
    """A drawn tree: its spec, the tree (JAX arrays), and how its values were made."""

    spec: TreeSpec
    tree: Any = field(repr=False, compare=False)
    values: str = "drawn"

    @classmethod
    def of(cls, tree: Any, *, values: str = "drawn", origin: str = "drawn") -> TreeCase:
        """The case of ``tree``, its spec read from the tree; ``origin`` as in :class:`TreeSpec`."""
        return cls(spec_of(tree, origin), tree, values)

    def __repr__(self) -> str:
        return f"TreeCase.of({tree_code(self.tree)}{_labels(self.values, self.spec.origin)})"


def _labels(values: str, origin: str) -> str:
    shown = [f", values={values!r}"] if values != "drawn" else []
    if origin != "drawn":
        shown.append(f", origin={origin!r}")
    return "".join(shown)


def _to_jax(leaves: list[np.ndarray]) -> list[Any]:
    # device_put, not jnp.asarray: in JAX 0.10 asarray of a NumPy array runs a program
    # (lax.stage) compiled per shape, which every judging process would lower again.
    return [jax.device_put(leaf) for leaf in leaves]


def trees(spec: TreeSpec, *, bound: float = PARAM_BOUND) -> st.SearchStrategy[TreeCase]:
    """A tree of ``spec`` (a :class:`TreeSpec`) with drawn values in ``[-bound, bound]``."""
    return _trees(instance("spec", spec, TreeSpec), positive_float("bound", bound))


@functools.cache
@st.composite
def _trees(draw: st.DrawFn, spec: TreeSpec, bound: float) -> TreeCase:
    leaves = [
        draw(leaf_arrays(shape, bound), label="/".join(path)) for path, shape in spec.leaf_paths()
    ]
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
    spec = draw(specs if specs is not None else param_specs(), label="params structure")
    if spec.origin in FLAX_MODULES and draw(_BOOLEANS, label="Linen init values"):
        seed = draw(_LINEN_SEEDS, label="Linen init seed")
        tree = flax_module_params(spec.origin, seed)
        if spec.frozen:
            tree = freeze(tree)
        return TreeCase(spec, tree, values=f"Linen init, seed {seed}")
    return draw(_trees(spec, PARAM_BOUND), label="params")


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
        return f"GradSequence({self.spec!r}, {tree_code(self.trees)})"


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
    drawn = (draw(_trees(spec, GRAD_BOUND), label=f"grads {i}") for i in range(1, k + 1))
    return GradSequence(spec, tuple(case.tree for case in drawn))


LEAF_KINDS: tuple[str, ...] = ("jax", "numpy")
"""What a params tree's leaves are, by :func:`with_leaf_kind`: JAX arrays, as drawn, or
writable NumPy arrays, as params loaded from a checkpoint or built by hand may be.  Flax
keeps them as given in ``create``; ``optax.apply_updates`` returns JAX arrays, and the
caller's NumPy arrays, which the old state still holds, are never written."""


def with_leaf_kind(tree: Any, kind: str) -> Any:
    """``tree`` with every array leaf of the ``kind`` :data:`LEAF_KINDS` names."""
    if kind not in LEAF_KINDS:
        raise InvalidArgument(f"kind={kind!r} is not one of {LEAF_KINDS}")
    if kind == "jax":
        return tree
    return jax.tree_util.tree_map(np.array, tree)


NON_FINITE_GRADS: tuple[str, ...] = ("finite", "nan", "inf")
"""What the first value of a gradient tree's first leaf is made, by :func:`with_non_finite`:
left as drawn, NaN or +inf.  A diverging run hands ``apply_gradients`` such trees."""


def non_finite_text(kind: str) -> str:
    """What :func:`with_non_finite` makes the first value, for messages: ``"NaN"`` or ``"+inf"``
    (``kind`` one of :data:`NON_FINITE_GRADS` but ``"finite"``)."""
    if kind not in NON_FINITE_GRADS[1:]:
        raise InvalidArgument(f"kind={kind!r} is not one of {NON_FINITE_GRADS[1:]}")
    return "NaN" if kind == "nan" else "+inf"


def with_non_finite(tree: Any, kind: str) -> Any:
    """``tree`` with the first value of its first leaf (in JAX's order) NaN or +inf, as
    ``kind`` says (one of :data:`NON_FINITE_GRADS`); ``tree`` itself for ``"finite"``."""
    if kind not in NON_FINITE_GRADS:
        raise InvalidArgument(f"kind={kind!r} is not one of {NON_FINITE_GRADS}")
    if kind == "finite":
        return tree
    leaves, treedef = jax.tree_util.tree_flatten(tree)
    first = np.array(leaves[0], np.float32)
    first.reshape(-1)[0] = np.nan if kind == "nan" else np.inf
    return jax.tree_util.tree_unflatten(treedef, [jax.device_put(first), *leaves[1:]])
