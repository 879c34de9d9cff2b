"""Gradients whose pytree structure differs from the params': :func:`mismatched_grads`.

They start from a matching tree and break its structure in one named way: an
extra key, a missing key, a renamed key, a leaf wrapped in a dict, a sub-dict
replaced by a leaf, a dict turned into a list, or ``dict`` and ``FrozenDict``
swapped.  The description says which and where.

A renamed key keeps the containers and every leaf's shape: only a key's name
differs.  It comes in two kinds, by whether the renamed key keeps its place
among its siblings in sorted order (so JAX flattens the leaves in the params'
order, and a class that relabels grads leaf by leaf applies them to the params
that happen to sit there) or moves (the flattened leaves come in another
order).  Flax raises for both.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import jax
from flax.core import FrozenDict, freeze, unfreeze
from hypothesis import strategies as st

from conformance.isolation.trees import params_namedtuple
from conformance.strategies.arguments import instance
from conformance.strategies.cached import choice
from conformance.strategies.printing import ShownByRepr, tree_code
from conformance.strategies.pytrees import GRAD_BOUND, grads, leaf_arrays
from conformance.strategies.tree_specs import LEAF_SHAPES, TreeSpec

EXTRA_KEYS: tuple[str, ...] = ("zz_extra", "extra", "a_extra")
"""Keys that mismatched trees add; no params tree has them, and the first sorts last."""
RENAMED_KEYS: tuple[str, ...] = ("zz_renamed", "A_renamed")
"""New names for a renamed key beside ``<key>_renamed``: the first sorts after every key of a
params tree, the second before every one (capitals sort before lower case)."""
ORDER_KEPT = "renamed key, sorted order kept"
ORDER_CHANGED = "renamed key, sorted order changed"


MISMATCH_KINDS: tuple[str, ...] = (
    "extra key",
    "missing key",
    ORDER_KEPT,
    ORDER_CHANGED,
    "leaf wrapped in a dict",
    "sub-dict replaced by a leaf",
    "dict turned into a list",
    "dict/FrozenDict swapped",
)
SEQUENCE_MISMATCH_KINDS: tuple[str, ...] = (
    "tuple/list swapped",
    "one element fewer",
    "one element more",
)
"""The mismatches of params that are a tuple, a list or a NamedTuple: the other sequence type
(a NamedTuple's: a plain tuple) with the same elements (a grads check that takes any sequence
of the right length applies them), or one element fewer or more (a NamedTuple's: a
``Params`` of one field fewer or more)."""


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


def _keeps_order(keys: list[str], key: str, new: str) -> bool:
    renamed = [new if k == key else k for k in keys]
    return sorted(keys).index(key) == sorted(renamed).index(new)


def _new_name(keys: list[str], key: str, keep_order: bool) -> str:
    """A name for ``key`` that no sibling has, keeping or changing its sorted place as asked
    where the siblings allow it (a lone key can only keep it)."""
    fresh = [c for c in (f"{key}_renamed", *RENAMED_KEYS) if c not in keys]
    return next((c for c in fresh if _keeps_order(keys, key, c) == keep_order), fresh[0])


def renamed_key(
    spec: TreeSpec, tree: dict[str, Any], path: tuple[str, ...], key: str, new: str
) -> MismatchCase:
    """``tree`` (plain dicts of ``spec``'s structure) with ``key`` of the dict at ``path``
    renamed ``new``, in its place, its value and every other key kept; the kind says whether
    the keys' sorted order, which is JAX's leaf order, is kept."""
    target = _get(tree, path)
    renamed = {new if k == key else k: v for k, v in target.items()}
    out = _set(tree, path, renamed)
    kind = ORDER_KEPT if _keeps_order(list(target), key, new) else ORDER_CHANGED
    return MismatchCase(
        spec, kind, f"{key!r} -> {new!r} {_where(path)}", freeze(out) if spec.frozen else out
    )


def mismatched_grads(spec: TreeSpec) -> st.SearchStrategy[MismatchCase]:
    """Gradients with finite values whose structure differs from ``spec``'s in one named way."""
    return _mismatched_grads(instance("spec", spec, TreeSpec))


@functools.cache
@st.composite
def _mismatched_grads(draw: st.DrawFn, spec: TreeSpec) -> MismatchCase:
    if spec.container != "dict":
        return mismatched_sequence(
            spec,
            draw(grads(spec), label="matching grads").tree,
            draw(choice(SEQUENCE_MISMATCH_KINDS), label="mismatch kind"),
            draw(leaf_arrays(LEAF_SHAPES[1], GRAD_BOUND), label="extra element"),
        )
    base = _thaw(draw(grads(spec), label="matching grads").tree)
    kind = draw(choice(MISMATCH_KINDS), label="mismatch kind")
    dict_paths = _dict_paths(base)
    nested = [p for p in dict_paths if p]
    leaf_paths = [path for path, _ in spec.leaf_paths()]

    def refreeze(tree: Any) -> Any:
        return freeze(tree) if spec.frozen and isinstance(tree, dict) else tree

    if kind == "sub-dict replaced by a leaf" and not nested:
        kind = "leaf wrapped in a dict"
    siblings = tuple(p for p in dict_paths if len(_get(base, p)) > 1)
    if kind == ORDER_CHANGED and not siblings:
        # A key can change its sorted place only among siblings.
        kind = ORDER_KEPT
    if kind in (ORDER_KEPT, ORDER_CHANGED):
        paths = siblings if kind == ORDER_CHANGED else tuple(dict_paths)
        path = draw(choice(paths), label="dict with the renamed key")
        keys = list(_get(base, path))
        key = draw(choice(tuple(sorted(keys))), label="renamed key")
        return renamed_key(spec, base, path, key, _new_name(keys, key, kind == ORDER_KEPT))
    if kind == "extra key":
        path = draw(choice(tuple(dict_paths)), label="dict with the extra key")
        extra = tuple(k for k in EXTRA_KEYS if k not in _get(base, path))
        key = draw(choice(extra), label="extra key")
        shape = draw(choice(LEAF_SHAPES), label="extra leaf's shape")
        leaf = draw(leaf_arrays(shape, GRAD_BOUND), label="extra leaf")
        target = dict(_get(base, path))
        target[key] = jax.device_put(leaf)
        tree = refreeze(_set(base, path, target))
        where = f"{key!r} {_where(path)}"
    elif kind == "missing key":
        path = draw(choice(tuple(dict_paths)), label="dict with the missing key")
        target = dict(_get(base, path))
        key = draw(choice(tuple(sorted(target))), label="missing key")
        del target[key]
        tree = refreeze(_set(base, path, target))
        where = f"{key!r} {_where(path)}"
    elif kind == "leaf wrapped in a dict":
        path = draw(choice(tuple(leaf_paths)), label="leaf wrapped in a dict")
        tree = refreeze(_set(base, path, {"w": _get(base, path)}))
        where = f"{'/'.join(path)} -> {{'w': leaf}}"
    elif kind == "sub-dict replaced by a leaf":
        path = draw(choice(tuple(nested)), label="sub-dict replaced by a leaf")
        sub = _get(base, path)
        first = sub[sorted(sub)[0]]
        tree = refreeze(_set(base, path, first))
        where = f"{'/'.join(path)} -> its first leaf"
    elif kind == "dict turned into a list":
        path = draw(choice(tuple(dict_paths)), label="dict turned into a list")
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


def mismatched_sequence(spec: TreeSpec, matching: Any, kind: str, extra: Any) -> MismatchCase:
    """``matching`` grads of a tuple-, list- or NamedTuple-rooted ``spec`` broken as ``kind`` says
    (:data:`SEQUENCE_MISMATCH_KINDS`; ``extra`` is the element one element more adds)."""
    elements = list(matching)
    if kind == "tuple/list swapped":
        other = list if spec.container == "tuple" else tuple
        where = f"grads are a {other.__name__}, params a {spec.container}, same elements"
        return MismatchCase(spec, kind, where, other(elements))
    fields = [key for key, _ in spec.items]
    if kind == "one element fewer":
        elements, fields = elements[:-1], fields[:-1]
        where = f"{len(elements)} elements for {len(elements) + 1}"
    else:
        elements, fields = [*elements, jax.device_put(extra)], [*fields, "extra"]
        where = f"{len(elements)} elements for {len(elements) - 1}"
    if spec.container == "namedtuple":
        return MismatchCase(spec, kind, where, params_namedtuple(tuple(fields))._make(elements))
    return MismatchCase(spec, kind, where, type(matching)(elements))
