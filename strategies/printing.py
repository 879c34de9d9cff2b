"""How drawn values print, in Hypothesis's reports and in the properties' messages.

:func:`show_tree` renders a tree with its values on one line, :func:`tree_shapes`
its leaves' dtypes and shapes: both for messages.

A drawn TrainState case prints as the Python expression that rebuilds it bit for
bit (:func:`array_code`, :func:`tree_code`), so that the falsifying example
Hypothesis prints can be pasted into a test of your own.  It evaluates beside
``import numpy as np``, ``import jax.numpy as jnp``, ``from flax.core import
FrozenDict`` and ``from conformance.strategies import *``
(:data:`REBUILD_IMPORTS`).  Hypothesis prints a falsifying example with
IPython-style pretty printing, which would show a dataclass field by field;
the suite's drawn types (:class:`ShownByRepr`) print as their ``repr`` instead.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Any

import jax
import numpy as np
from flax.core import FrozenDict

from conformance.isolation.trees import namedtuple_fields, show_array

REBUILD_IMPORTS = (
    "import numpy as np\n"
    "import jax.numpy as jnp\n"
    "from flax.core import FrozenDict\n"
    "from conformance.strategies import *\n"
)
"""What a printed case needs in scope to evaluate."""

DIGITS_LIMIT = 1024
"""The most numbers an array is written with as digits.  Hypothesis prints every pinned
example before running it, and writing and checking the digits of the pinned 256 x 256
embedding table took 2 s of a default run; its digits would not be read anyway."""


class ShownByRepr:
    """A mixin: Hypothesis's pretty printer shows the value's ``repr``."""

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(repr(self))


def show_tree(tree: Any) -> str:
    """A compact one-line rendering of a tree with its (small) values."""

    def go(node: Any) -> str:
        if isinstance(node, Mapping):
            body = "{" + ", ".join(f"{k}: {go(v)}" for k, v in node.items()) + "}"
            return f"FrozenDict({body})" if isinstance(node, FrozenDict) else body
        fields = namedtuple_fields(node)
        if fields is not None:
            named = (f"{f}={go(v)}" for f, v in zip(fields, node, strict=True))
            return f"{type(node).__name__}({', '.join(named)})"
        if isinstance(node, (list, tuple)):
            return "[" + ", ".join(go(v) for v in node) + "]"
        if isinstance(node, (np.ndarray, jax.Array, np.generic)):
            return show_array(node)
        return repr(node)

    return go(tree)


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


def array_code(a: Any) -> str:
    """``np.array([...], np.float32)`` (``jnp.`` for a JAX array): an expression that
    rebuilds ``a``, its type, dtype, shape and every bit.

    Each number is written with the shortest digits that read back as the same value
    of its dtype.  Where reading the digits back does not give the same bytes (NaN,
    infinities, a shape with a zero), and for an array of more than
    :data:`DIGITS_LIMIT` numbers, the array is written as its bytes.
    """
    arr = np.asarray(a)
    module = "jnp" if isinstance(a, jax.Array) else "np"
    digits = _digits(arr) if arr.size <= DIGITS_LIMIT else None
    if digits is not None and isinstance(a, np.generic):
        return f"np.{arr.dtype.name}({digits})"
    if digits is not None:
        return f"{module}.array({digits}, {module}.{arr.dtype.name})"
    raw = f"np.frombuffer(bytes.fromhex({arr.tobytes().hex()!r}), {arr.dtype.str!r})"
    if isinstance(a, np.generic):
        return f"{raw}[0]"
    shaped = f"{raw}.reshape({arr.shape!r})"
    return f"jnp.asarray({shaped})" if module == "jnp" else f"{shaped}.copy()"


def value_code(value: object) -> str:
    """``repr(value)``, but an array as :func:`array_code` writes it: a 0-d array's repr
    keeps 8 digits, so ``np.array(2147483646.0)`` would print as ``array(2.14748365e+09)``."""
    return array_code(value) if isinstance(value, np.ndarray | jax.Array) else repr(value)


def _digits(arr: np.ndarray) -> str | None:
    def go(a: np.ndarray) -> str:
        if a.ndim == 0:
            return str(a[()])
        return "[" + ", ".join(go(row) for row in a) + "]"

    if arr.dtype.kind not in "biuf":
        return None
    text = go(arr)
    try:
        back = np.array(ast.literal_eval(text), arr.dtype)
    except (ValueError, SyntaxError):
        return None
    return text if back.shape == arr.shape and back.tobytes() == arr.tobytes() else None


def tree_code(tree: Any) -> str:
    """An expression that rebuilds ``tree``: its containers (``FrozenDict``, dict, list,
    tuple, a NamedTuple as :func:`~conformance.strategies.params_namedtuple` builds it) in
    their key order, and each array leaf by :func:`array_code`."""
    return _code(tree, frozen=False)


def _code(node: Any, *, frozen: bool) -> str:
    if isinstance(node, Mapping):
        # A FrozenDict freezes the dicts inside it (and hands them out frozen): its body
        # is written as plain dicts.  ``unfreeze`` would sort the keys.
        inner = frozen or isinstance(node, FrozenDict)
        items = ", ".join(f"{k!r}: {_code(v, frozen=inner)}" for k, v in node.items())
        body = "{" + items + "}"
        return f"FrozenDict({body})" if isinstance(node, FrozenDict) and not frozen else body
    fields = namedtuple_fields(node)
    if fields is not None:
        named = (f"{f}={_code(v, frozen=False)}" for f, v in zip(fields, node, strict=True))
        return f"params_namedtuple({fields!r})({', '.join(named)})"
    # A FrozenDict leaves the containers in a list or tuple as they are.
    if isinstance(node, list):
        return "[" + ", ".join(_code(v, frozen=False) for v in node) + "]"
    if isinstance(node, tuple):
        return "(" + "".join(f"{_code(v, frozen=False)}, " for v in node).removesuffix(" ") + ")"
    if isinstance(node, (np.ndarray, jax.Array, np.generic)):
        return array_code(node)
    return repr(node)
