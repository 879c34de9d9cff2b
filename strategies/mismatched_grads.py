"""Gradients whose pytree structure differs from the params': :func:`mismatched_grads`.

They start from a matching tree and break its structure in one named way: an
extra key, a missing key, a leaf wrapped in a dict, a sub-dict replaced by a
leaf, a dict turned into a list, or ``dict`` and ``FrozenDict`` swapped.  The
description says which and where.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import jax
from flax.core import FrozenDict, freeze, unfreeze
from hypothesis import strategies as st

from conformance.strategies.arguments import instance
from conformance.strategies.cached import choice
from conformance.strategies.printing import ShownByRepr, tree_code
from conformance.strategies.pytrees import GRAD_BOUND, grads, leaf_arrays
from conformance.strategies.tree_specs import LEAF_SHAPES, TreeSpec

EXTRA_KEYS: tuple[str, ...] = ("zz_extra", "extra", "a_extra")
"""Keys that mismatched trees add; no params tree has them, and the first sorts last."""


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
        return f"MismatchCase({self.spec!r}, {self.kind!r}, {self.where!r}, {tree_code(self.tree)})"


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
    base = _thaw(draw(grads(spec)).tree)
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
        target[key] = jax.device_put(leaf)
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
