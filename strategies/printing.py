"""How drawn values print, in Hypothesis's reports and in the properties' messages.

:func:`show_tree` renders a tree with its values on one line, :func:`tree_shapes`
its leaves' dtypes and shapes.  Hypothesis prints a falsifying example with
IPython-style pretty printing, which would show a dataclass field by field
(arrays in full); the suite's drawn types (:class:`ShownByRepr`) print as their
``repr`` instead: the Optax expression, the tree's structure and values, the
problem's label.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jax
import numpy as np
from flax.core import FrozenDict

from conformance.isolation.trees import show_array


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
