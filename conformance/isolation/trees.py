"""Pytrees across the wire: inputs rebuilt in the hosting process, results described as data.

The judge sends parameter and gradient trees as nested plain data
(:func:`pack_tree`) that the host rebuilds with the same containers (``dict``
in its key order, Flax ``FrozenDict``, ``list``, ``tuple``, a NamedTuple of
:func:`params_namedtuple`) and leaf types (JAX array, NumPy array, Python
number): :func:`unpack_tree`.

What comes back is never an object: :func:`describe_tree` flattens a tree
with ``jax.tree_util`` where it lives and returns its structure as text
(``str(treedef)``), the key path of every leaf, and each leaf as data
(:class:`Leaf`: an array's dtype, shape and bytes, a Python number, or for any
other object its type and whether it is callable).  The judge describes its
own expected trees with the same function, so that both sides compare as
:class:`TreeData`.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import keyword
from collections.abc import Mapping
from typing import Any

import jax
import numpy as np
from flax.core import FrozenDict

from conformance.isolation.protocol import ProtocolError, plain_dtype

SHOWN_ELEMENTS = 8
"""Arrays up to this size are shown in full in messages."""


@functools.cache
def params_namedtuple(fields: tuple[str, ...]) -> Any:
    """The NamedTuple class ``Params`` with these fields, one per field names in a process.

    Params as a model's own NamedTuple (the usual container of pure-JAX code) are a pytree
    node of their own: code that rebuilds containers with ``type(p)(...)`` breaks on them.
    Both sides build them with this class; they compare as text, ``namedtuple[Params]``.
    """
    return collections.namedtuple("Params", fields)


def namedtuple_fields(node: object) -> tuple[str, ...] | None:
    """The fields of ``node`` where it is a NamedTuple (any ``tuple`` with ``_fields``)."""
    fields = getattr(type(node), "_fields", None) if isinstance(node, tuple) else None
    return tuple(fields) if isinstance(fields, tuple) else None


def named_params(fields: object, children: list[Any]) -> Any:
    """``params_namedtuple(fields)(*children)`` for fields and children received as data:
    refused (:class:`ProtocolError`) unless the fields are identifiers, one per child."""
    if not isinstance(fields, list) or not all(
        isinstance(f, str) and f.isidentifier() and not keyword.iskeyword(f) and f[:1] != "_"
        for f in fields
    ):
        raise ProtocolError("a packed NamedTuple's fields must be identifiers")
    if len(children) != len(fields):
        raise ProtocolError("a packed NamedTuple needs one child per field")
    return params_namedtuple(tuple(fields))._make(children)


def pack_tree(tree: Any) -> dict[str, Any]:
    """``tree`` (dicts, FrozenDicts, lists, tuples, NamedTuples of arrays and numbers) as plain
    data."""
    if isinstance(tree, Mapping):
        kind = "frozendict" if isinstance(tree, FrozenDict) else "dict"
        keys = list(tree)
        return {"kind": kind, "keys": keys, "children": [pack_tree(tree[k]) for k in keys]}
    fields = namedtuple_fields(tree)
    if fields is not None:
        return {
            "kind": "namedtuple",
            "fields": list(fields),
            "children": [pack_tree(child) for child in tree],
        }
    if isinstance(tree, (list, tuple)):
        kind = "list" if isinstance(tree, list) else "tuple"
        return {"kind": kind, "children": [pack_tree(child) for child in tree]}
    if isinstance(tree, jax.Array):
        return {"kind": "jax", "value": np.asarray(tree)}
    if isinstance(tree, (np.ndarray, np.generic)):
        return {"kind": "numpy", "value": np.asarray(tree) if tree.ndim else tree}
    if isinstance(tree, (bool, int, float, str)):
        return {"kind": "python", "value": tree}
    raise TypeError(f"cannot send a tree leaf of type {type(tree).__name__}")


def unpack_tree(packed: Any) -> Any:
    """The tree :func:`pack_tree` described, rebuilt (in the hosting process)."""
    if not isinstance(packed, dict):
        raise ProtocolError("a packed tree must be a dict")
    kind = packed.get("kind")
    if kind in ("dict", "frozendict"):
        node = {
            key: unpack_tree(child)
            for key, child in zip(packed["keys"], packed["children"], strict=True)
        }
        # Flax's FrozenDict.__init__ has no annotations.
        return FrozenDict(node) if kind == "frozendict" else node  # type: ignore[no-untyped-call]
    if kind in ("list", "tuple"):
        children = [unpack_tree(child) for child in packed["children"]]
        return children if kind == "list" else tuple(children)
    if kind == "namedtuple":
        return named_params(packed.get("fields"), [unpack_tree(c) for c in packed["children"]])
    if kind == "jax":
        # device_put, not jnp.asarray: in JAX 0.10 asarray of a NumPy array runs a
        # program (lax.stage) compiled per shape and dtype, about 7 ms each in a warm run.
        return jax.device_put(packed["value"])
    if kind == "numpy":
        # A copy: writable, as a caller's NumPy params are, and not the sender's own array
        # (in-process, a class that updates NumPy params in place would change the drawn case).
        value = packed["value"]
        return np.array(value) if isinstance(value, np.ndarray) else value
    if kind == "python":
        return packed["value"]
    raise ProtocolError(f"unknown tree node kind {kind!r}")


@dataclasses.dataclass(frozen=True)
class Leaf:
    """One leaf of a described tree.

    ``array`` holds an array's (or NumPy scalar's) exact value when its dtype
    can cross the wire, else ``None`` and ``dtype``/``shape`` say what it was;
    ``value`` holds a Python ``bool``/``int``/``float``/``str``; any other
    object has only its ``type`` and ``text`` (a short ``repr``).
    """

    type: str
    shown: str = ""
    """How a leaf that is not a sendable array prints (its short ``repr``)."""
    array: np.ndarray | None = None
    dtype: str | None = None
    shape: tuple[int, ...] | None = None
    value: bool | int | float | str | None = None
    is_callable: bool = False
    is_transformation: bool = False

    @property
    def is_array(self) -> bool:
        return self.shape is not None

    @property
    def text(self) -> str:
        # Arrays are shown here, from their values: rendering is costly and seldom needed.
        return self.shown if self.array is None else show_array(self.array)

    def same_bits(self, other: Leaf) -> bool:
        """Equal type, dtype, shape and bytes (arrays), or equal type and value (numbers)."""
        if self.is_array or other.is_array:
            if self.array is None or other.array is None:
                return False
            return (
                self.type == other.type
                and self.array.dtype == other.array.dtype
                and self.array.shape == other.array.shape
                and self.array.tobytes() == other.array.tobytes()
            )
        return self.type == other.type and self.value is not None and self.value == other.value

    def __str__(self) -> str:
        kind = self.type.rsplit(".", 1)[-1]
        if self.is_array:
            return f"{kind}(dtype={self.dtype}, shape={self.shape}) = {self.text}"
        return f"{kind} {self.text}"


@dataclasses.dataclass(frozen=True)
class TreeData:
    """A flattened tree: ``str(treedef)``, each leaf's key path (``keystr``) and the leaves."""

    treedef: str
    paths: tuple[str, ...]
    leaves: tuple[Leaf, ...]

    def __str__(self) -> str:
        parts = [
            f"{path or '<root>'}: {leaf.text}"
            for path, leaf in zip(self.paths, self.leaves, strict=True)
        ]
        return "{" + ", ".join(parts) + "}"

    def shapes(self) -> str:
        """``path: dtype[shape]`` of every leaf."""
        parts = []
        for path, leaf in zip(self.paths, self.leaves, strict=True):
            shown = (
                f"{leaf.dtype}[{','.join(map(str, leaf.shape or ()))}]"
                if leaf.is_array
                else leaf.type
            )
            parts.append(f"{path or '<root>'}: {shown}")
        return "{" + ", ".join(parts) + "}"


def show_array(a: Any) -> str:
    arr = np.asarray(a)
    if arr.size <= SHOWN_ELEMENTS:
        # "unique": the shortest digits that round-trip, so printed values reproduce exactly.
        return np.array2string(arr, floatmode="unique", separator=", ").replace("\n", "")
    return f"<{arr.dtype}{list(arr.shape)} min {arr.min():.6g} max {arr.max():.6g}>"


def type_name(t: type) -> str:
    return f"{getattr(t, '__module__', '?')}.{getattr(t, '__qualname__', '?')}"


def key_data(leaf: Any) -> np.ndarray | None:
    """The ``uint32`` data of a typed PRNG key array (``jax.random.key(0)``, dtype
    ``key<fry>``), which NumPy cannot hold; ``None`` for anything else."""
    if isinstance(leaf, jax.Array) and jax.numpy.issubdtype(leaf.dtype, jax.dtypes.prng_key):
        return np.asarray(jax.random.key_data(leaf))
    return None


def describe_leaf(leaf: Any) -> dict[str, Any]:
    """``leaf`` as the plain data of a :class:`Leaf` (in the process where it lives)."""
    kind = type_name(type(leaf))
    if isinstance(leaf, (bool, int, float, str)) and not isinstance(leaf, np.generic):
        return {"type": kind, "text": f"{leaf!r:.60}", "value": leaf}
    data = key_data(leaf)
    if data is not None:
        shown = f"<{leaf.dtype}{list(leaf.shape)} with data {show_array(data)}>"
        return {"type": kind, "dtype": str(leaf.dtype), "shape": list(leaf.shape), "text": shown}
    if isinstance(leaf, (jax.Array, np.ndarray, np.generic)):
        # A copy of a NumPy array: the description is sent after the scenario, by when an
        # update made in place would have rewritten the array it was taken of.
        arr = np.array(leaf) if isinstance(leaf, np.ndarray) else np.asarray(leaf)
        described: dict[str, Any] = {
            "type": kind,
            "dtype": str(arr.dtype),
            "shape": list(arr.shape),
        }
        if plain_dtype(arr.dtype):
            described["array"] = arr
        else:
            described["text"] = f"<{arr.dtype}{list(arr.shape)}>"
        return described
    import optax

    return {
        "type": kind,
        "text": f"{leaf!r:.60}",
        "callable": callable(leaf),
        "transformation": isinstance(leaf, optax.GradientTransformation),
    }


def describe_tree(tree: Any) -> dict[str, Any]:
    """``tree`` flattened with ``jax.tree_util`` into plain data (see :class:`TreeData`)."""
    with_paths, treedef = jax.tree_util.tree_flatten_with_path(tree)
    return {
        "treedef": str(treedef),
        "paths": [jax.tree_util.keystr(path) for path, _ in with_paths],
        "leaves": [describe_leaf(leaf) for _, leaf in with_paths],
    }


def _leaf(data: Any) -> Leaf:
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise ProtocolError("a described leaf must be a dict with a type")
    array = data.get("array")
    shape = data.get("shape")
    value = data.get("value")
    if array is not None and not isinstance(array, np.ndarray):
        raise ProtocolError("a leaf's array must be an array")
    if value is not None and not isinstance(value, (bool, int, float, str)):
        raise ProtocolError("a leaf's value must be a bool, number or str")
    return Leaf(
        type=data["type"],
        shown=str(data.get("text", "")),
        array=array,
        dtype=None if data.get("dtype") is None else str(data["dtype"]),
        shape=None if shape is None else tuple(int(n) for n in shape),
        value=value,
        is_callable=bool(data.get("callable", False)),
        is_transformation=bool(data.get("transformation", False)),
    )


def tree_data(data: Any) -> TreeData:
    """Plain data from :func:`describe_tree` (sent by the host), checked, as a :class:`TreeData`."""
    if not isinstance(data, dict):
        raise ProtocolError("a described tree must be a dict")
    paths, leaves = data.get("paths"), data.get("leaves")
    if not isinstance(paths, list) or not isinstance(leaves, list) or len(paths) != len(leaves):
        raise ProtocolError("a described tree needs as many paths as leaves")
    return TreeData(
        treedef=str(data.get("treedef")),
        paths=tuple(str(p) for p in paths),
        leaves=tuple(_leaf(leaf) for leaf in leaves),
    )


def expected_tree(tree: Any) -> TreeData:
    """The judge's own tree, described exactly as a host describes one."""
    return tree_data(describe_tree(tree))
