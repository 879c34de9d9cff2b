"""Memory layouts of ``x`` and ``y`` as a caller may pass them, rebuilt where the call is made.

The judge sends ``x`` and ``y`` as plain arrays, which arrive C-contiguous;
a property that asks for another layout names it, and the host lays the
same values out that way before the call: a Fortran-ordered copy, the
transpose of a transposed copy (an F-contiguous view), every other row of a
twice-as-long array, every other column of a twice-as-wide one.  Code that
reads the buffer instead of the array (``ravel(order="K")``, ``frombuffer``,
a raw pointer) gives another answer on these.
"""

from __future__ import annotations

import numpy as np

LAYOUTS: tuple[str, ...] = (
    "C-contiguous",
    "Fortran-ordered",
    "transposed view",
    "every other row",
    "every other column",
)


def lay_out(array: np.ndarray, layout: str) -> np.ndarray:
    """The values of ``array`` in ``layout`` (the same dtype, shape and values)."""
    if layout == "C-contiguous":
        return array
    if layout == "Fortran-ordered":
        return np.asfortranarray(array)
    if layout == "transposed view":
        return np.ascontiguousarray(array.T).T
    if layout == "every other row":
        wide = np.zeros((2 * array.shape[0], *array.shape[1:]), array.dtype)
        wide[::2] = array
        return wide[::2]
    if layout == "every other column":
        if array.ndim == 1:
            return lay_out(array, "every other row")
        wide = np.zeros((array.shape[0], 2 * array.shape[1]), array.dtype)
        wide[:, ::2] = array
        return wide[:, ::2]
    raise ValueError(f"unknown layout {layout!r}; the layouts are {LAYOUTS}")
