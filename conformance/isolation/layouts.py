"""Memory layouts of ``x`` and ``y`` as a caller may pass them, rebuilt where the call is made.

The judge sends ``x`` and ``y`` as plain arrays, which arrive C-contiguous;
a property that asks for another layout names it, and the host lays the
same values out that way before the call: a Fortran-ordered copy, the
transpose of a transposed copy (an F-contiguous view), every other row of a
twice-as-long array, every other column of a twice-as-wide one.  Code that
reads the buffer instead of the array (``ravel(order="K")``, ``frombuffer``,
a raw pointer) gives another answer on these.  And the same values as JAX
arrays (:data:`JAX_ARRAYS`), what JAX code passes and the canonical recipe
takes, where code that reads NumPy's attributes (``x.flags``, ``x.ctypes``)
raises.
"""

from __future__ import annotations

from typing import Any

import numpy as np

JAX_ARRAYS = "as JAX arrays"
"""The layout that passes JAX arrays, of JAX's dtypes: with x64 off a float64 ``x`` is a
float32 one, as it is to every JAX caller, and the canonical recipe rounds it so anyway."""

LAYOUTS: tuple[str, ...] = (
    "C-contiguous",
    "Fortran-ordered",
    "transposed view",
    "every other row",
    "every other column",
    JAX_ARRAYS,
)


def lay_out(array: np.ndarray, layout: str) -> Any:
    """The values of ``array`` in ``layout`` (the same dtype, shape and values; JAX's dtype
    for :data:`JAX_ARRAYS`)."""
    if layout == "C-contiguous":
        return array
    if layout == JAX_ARRAYS:
        # Imported only when asked: a NumPy implementation's process needs no JAX otherwise.
        import jax

        return jax.device_put(array)
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
