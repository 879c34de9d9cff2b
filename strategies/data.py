"""Data ``(x, y)`` for a given shape: values from 1e-6 to 1e8, with structure.

Arrays of up to 16 entries are drawn element by element by Hypothesis, so they
shrink to small, readable values.  Larger arrays come from a NumPy generator
seeded by a drawn integer (drawing thousands of elements one by one would
dominate the run time); their structure and scale are drawn, so shrinking still
simplifies the kind of data and its size.

``y`` has ``x``'s dtype, or the other float dtype (float64 targets beside
float32 features, as a data frame gives them), or int64 (integer targets, up
to scale 1e3 so that they are exact in float32), or a narrower integer type,
signed or not (class labels and counts stored as ``uint8`` or ``int16``, where
they fit), or float16 (targets stored in half precision, up to 1e4): the
contract gives ``y`` no dtype, and code that makes its buffers like ``x`` or
like ``y``, computes in ``y``'s float type, or negates or subtracts in ``y``'s
integer type (where ``-y`` of a ``uint8`` wraps) goes wrong there.  The
canonical step promotes ``y`` to float32.

Structures that break code: a zero or constant column (collinear with the
bias), duplicated rows, a column that is a linear combination of others
(rank-deficient ``x``), an outlier row a hundred times larger, targets that
are exactly linear in ``x`` (small integers, so exact in float32), all-zero
and constant targets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

from conformance.strategies.cached import below, choice, fixed_size_lists

DTYPES = (np.float32, np.float64)
SCALE_EXPONENTS = (-6, -3, -2, -1, 0, 1, 2, 3, 8)
"""Data scales ``10**e``: from values near 1e-6, whose loss is near 1e-12 (code that stops
early on a loss it takes for converged), to values near 1e8 (residuals over 1e7, which a
guard against large residuals clips); float32 holds every step at both ends."""
ELEMENTWISE_MAX_SIZE = 16
X_KINDS = ("gaussian", "uniform", "small integers", "zeros")
X_STRUCTURES = (
    "none",
    "zero column",
    "constant column",
    "duplicated rows",
    "rank deficient",
    "outlier row",
)
Y_KINDS = ("gaussian", "exactly linear", "zeros", "constant", "outliers")
Y_DTYPES = ("like x", "the other float", "integer", "float16")
"""``y``'s dtype beside ``x``'s (see the module docstring); shrinks toward ``x``'s."""
INTEGER_Y_MAX_EXPONENT = 3
"""Integer targets are drawn up to this scale exponent: rounded values of at most
about 3e7, held exactly by int32 (JAX's integer type without x64)."""
INTEGER_Y = (np.int64, np.uint8, np.int8, np.int16, np.uint16, np.int32, np.uint32)
"""The integer types of ``y``: int64, or a narrower one where every rounded target fits it."""
FLOAT16_Y_MAX = 1e4
"""Float16 targets are drawn where every target is at most this large: finite in float16 (up
to 65504), and squared residuals stay far from float32's limits."""
OUTLIER_FACTOR = 100.0

_SMALL_INTEGERS = st.integers(-4, 4)
_UNIT_FLOATS = st.floats(-2.0, 2.0)
_DATA_SEEDS = st.integers(0, 2**32 - 1)


@dataclass(frozen=True)
class DataDescription:
    """How ``(x, y)`` were made; shown in reports so a failure says what the data was."""

    dtype: str
    scale: float
    x_kind: str
    x_structure: str
    y_kind: str
    source: str
    y_dtype: str = ""
    """``y``'s dtype where it is not ``x``'s (``dtype``)."""

    def __str__(self) -> str:
        y_dtype = f" ({self.y_dtype})" if self.y_dtype else ""
        return (
            f"{self.dtype}, scale {self.scale:g}, x {self.x_kind} with {self.x_structure}, "
            f"y {self.y_kind}{y_dtype}, {self.source}"
        )


def _base_values(
    draw: st.DrawFn, rng: np.random.Generator | None, kind: str, shape: tuple[int, ...]
) -> np.ndarray:
    if kind == "zeros":
        return np.zeros(shape)
    if rng is None:
        elements = _SMALL_INTEGERS if kind == "small integers" else _UNIT_FLOATS
        values = draw(fixed_size_lists(elements, int(np.prod(shape))), label="values")
        return np.asarray(values, dtype=np.float64).reshape(shape)
    if kind == "gaussian":
        return rng.standard_normal(shape)
    if kind == "uniform":
        return rng.uniform(-1.0, 1.0, shape)
    return rng.integers(-4, 5, shape).astype(np.float64)


def _structure(
    draw: st.DrawFn, x: np.ndarray, structure: str, rng: np.random.Generator | None
) -> np.ndarray:
    n, d = x.shape

    def pick(size: int) -> int:
        return _index(draw, rng, size)

    x = x.copy()
    if structure == "zero column":
        x[:, pick(d)] = 0.0
    elif structure == "constant column":
        x[:, pick(d)] = x[pick(n), 0] if x.any() else 1.0
    elif structure == "duplicated rows" and n > 1:
        x[pick(n)] = x[pick(n)]
        x[n - 1] = x[0]
    elif structure == "rank deficient" and d > 1:
        x[:, d - 1] = x[:, 0] - 2.0 * x[:, pick(d - 1)]
    elif structure == "outlier row":
        x[pick(n)] *= OUTLIER_FACTOR
    return x


def draw_data(draw: st.DrawFn, n: int, d: int) -> tuple[np.ndarray, np.ndarray, DataDescription]:
    """``(x, y, description)`` with ``x`` of shape ``(n, d)`` and ``y`` of shape ``(n,)``."""
    dtype = draw(choice(DTYPES), label="x dtype")
    exponent = draw(choice(SCALE_EXPONENTS), label="scale exponent")
    scale = 10.0**exponent
    x_kind = draw(choice(X_KINDS), label="x kind")
    x_structure = draw(choice(X_STRUCTURES), label="x structure")
    y_kind = draw(choice(Y_KINDS), label="y kind")
    y_dtype_kind = draw(choice(Y_DTYPES), label="y dtype")
    if n * d <= ELEMENTWISE_MAX_SIZE:
        rng, source = None, "drawn elementwise"
    else:
        data_seed = draw(_DATA_SEEDS, label="data seed")
        rng, source = np.random.default_rng(data_seed), f"numpy seed {data_seed}"

    x = _structure(draw, _base_values(draw, rng, x_kind, (n, d)), x_structure, rng)
    if y_kind == "exactly linear":
        # An exact fit exists, so a step can drive the loss toward zero, where relative
        # rounding errors are largest.
        weights = _base_values(draw, rng, "small integers", (d + 1,))
        y = x @ weights[:d] + weights[d]
    elif y_kind == "zeros":
        y = np.zeros(n)
    elif y_kind == "constant":
        y = np.full(n, float(_base_values(draw, rng, "small integers", (1,))[0]) or 1.0)
    else:
        y = _base_values(draw, rng, "gaussian", (n,))
        if y_kind == "outliers":
            y[_index(draw, rng, n)] *= OUTLIER_FACTOR

    y = y * scale
    if y_dtype_kind == "integer" and exponent <= INTEGER_Y_MAX_EXPONENT:
        integer = draw(choice(INTEGER_Y), label="y integer dtype")
        rounded, limits = np.rint(y), np.iinfo(integer)
        fits = limits.min <= rounded.min(initial=0.0) and rounded.max(initial=0.0) <= limits.max
        y = rounded.astype(integer if fits else np.int64)
    elif y_dtype_kind == "float16" and np.max(np.abs(y), initial=0.0) <= FLOAT16_Y_MAX:
        y = y.astype(np.float16)
    elif y_dtype_kind == "the other float":
        y = y.astype(np.float32 if dtype is np.float64 else np.float64)
    else:
        y = y.astype(dtype)
    description = DataDescription(
        dtype=np.dtype(dtype).name,
        scale=scale,
        x_kind=x_kind,
        x_structure=x_structure,
        y_kind=y_kind,
        source=source,
        y_dtype="" if y.dtype == dtype else y.dtype.name,
    )
    return (x * scale).astype(dtype), y, description


def _index(draw: st.DrawFn, rng: np.random.Generator | None, size: int) -> int:
    """An index below ``size``: from the generator for large data, else drawn (shrinks to 0)."""
    return int(rng.integers(size)) if rng is not None else draw(below(size), label="index")
