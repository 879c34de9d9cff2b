"""How drawn values print in Hypothesis's reports.

Hypothesis prints a falsifying example with IPython-style pretty printing,
which would show a dataclass field by field (arrays in full).  The suite's
drawn types print as their ``repr`` instead: the Optax expression, the tree's
structure and values, the problem's label.
"""

from __future__ import annotations

from typing import Any


class ShownByRepr:
    """A mixin: Hypothesis's pretty printer shows the value's ``repr``."""

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(repr(self))
