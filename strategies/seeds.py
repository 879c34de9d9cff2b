"""Seeds: any real number whose ``int()`` lies in the int32 range.

The contract casts the seed with ``int()``, which truncates toward zero
(``int(-3.7) == -3``, ``int(-0.5) == 0``).  Besides plain ints the strategy
draws integral floats, fractional floats of both signs (the ones ``floor`` or
``round`` get wrong), every NumPy integer and float scalar type (``np.float16``
and ``np.float32`` included: code that converts only Python floats fails on
them) and 0-d arrays, and the int32 extremes, where a seed folded to 16 bits
or a sign dropped becomes visible.
"""

from __future__ import annotations

import functools

import numpy as np
from hypothesis import strategies as st

from conformance.reference.validation import INT32_MAX, INT32_MIN
from conformance.strategies.cached import choice

EDGE_SEEDS = (0, 1, -1, 2, 42, 2**16, -(2**16), 2**24 + 1, INT32_MAX, INT32_MIN, INT32_MAX - 1)

int32_seeds = st.one_of(st.sampled_from(EDGE_SEEDS), st.integers(INT32_MIN, INT32_MAX))


NUMPY_INTS: dict[str, type[np.integer]] = {
    "numpy int": np.int64,
    "numpy int32": np.int32,
    "numpy int16": np.int16,
    "numpy int8": np.int8,
    "numpy uint32": np.uint32,
    "numpy uint8": np.uint8,
}
NUMPY_FLOATS: dict[str, type[np.floating]] = {
    "numpy float": np.float64,
    "numpy float32": np.float32,
    "numpy float16": np.float16,
}
SEED_FORMS = (
    "int",
    "float",
    "fractional float",
    *NUMPY_INTS,
    *NUMPY_FLOATS,
    *(f"fractional {form}" for form in NUMPY_FLOATS),
    "0-d int array",
    "0-d float array",
    "fractional 0-d float array",
)
"""Every way a caller may spell a seed: Python ints and floats, every NumPy integer and float
scalar type (each within its range), fractional values of each float type, 0-d arrays (a
fractional one too: what ``np.load`` or a config loader gives, which code may round with
``np.rint`` or truncate in place)."""
FRACTIONAL_FORMS = tuple(form for form in SEED_FORMS if form.startswith("fractional"))


# Nonzero and at most 0.999 in magnitude, so that base + fraction cannot round to the next
# integer in float64 even at the int32 extremes.  Sign and magnitude are drawn apart, with
# zero excluded by the bounds: a filter on ``f != 0.0`` rejects often, because Hypothesis
# favours 0.0, and every rejected draw is an invalid example.
fractions = st.builds(
    lambda negative, magnitude: -magnitude if negative else magnitude,
    st.booleans(),
    st.floats(0.0, 0.999, exclude_min=True),
)


def seed_range(form: str) -> tuple[int, int]:
    """The ``int(seed)`` values ``form`` can spell exactly, within int32."""
    kind = form.removeprefix("fractional ")
    if kind in NUMPY_INTS:
        info = np.iinfo(NUMPY_INTS[kind])
        return max(int(info.min), INT32_MIN), min(int(info.max), INT32_MAX)
    if kind in NUMPY_FLOATS and NUMPY_FLOATS[kind] is not np.float64:
        # Every integer up to 2**(mantissa bits + 1) is exact; a fraction needs room below 1.
        exact = 2 ** (np.finfo(NUMPY_FLOATS[kind]).nmant + 1)
        limit = exact // 2 if form in FRACTIONAL_FORMS else exact
        return -limit, limit
    return INT32_MIN, INT32_MAX


def spell(base: int, form: str, fraction: float) -> object:
    """``base`` written in ``form``; a fractional form moves ``|fraction|`` away from zero
    (for ``base == 0`` it takes the fraction's sign: ``int(-0.4) == 0``), rounded to the
    form's precision.  A ``base`` the form cannot hold is written as a NumPy int64."""
    lo, hi = seed_range(form)
    if not lo <= base <= hi:
        return np.int64(base)
    kind = form.removeprefix("fractional ")
    if form == "int":
        return base
    if form == "float":
        return float(base)
    if kind in NUMPY_INTS:
        return NUMPY_INTS[kind](base)
    if form == "0-d int array":
        return np.array(base, np.int64)
    value: float = float(base)
    if form in FRACTIONAL_FORMS:
        value = (
            fraction if base == 0 else base - abs(fraction) if base < 0 else base + abs(fraction)
        )
    if form in ("fractional float", "float"):
        return value
    if kind == "0-d float array":
        return np.array(value, np.float64)
    spelled = NUMPY_FLOATS[kind](value)
    # Rounding to a short float may cross an integer; the seed must still truncate to base.
    return spelled if int(spelled) == base else NUMPY_FLOATS[kind](base)


@functools.cache
def _seed_values(form: str) -> st.SearchStrategy[int]:
    """The ``int(seed)`` values ``form`` is drawn with: its edges, or any in its range."""
    lo, hi = seed_range(form)
    edges = tuple(sorted({e for e in (*EDGE_SEEDS, lo, hi) if lo <= e <= hi}))
    return st.one_of(st.sampled_from(edges), st.integers(lo, hi))


@st.composite
def _seeds(draw: st.DrawFn) -> object:
    form = draw(choice(SEED_FORMS), label="seed form")
    base = draw(_seed_values(form), label="seed value")
    # Only the fractional forms read the fraction; the others do not spend a draw on it.
    fraction = draw(fractions, label="fraction") if form in FRACTIONAL_FORMS else 0.0
    return spell(base, form, fraction)


SEEDS = _seeds()


def seeds() -> st.SearchStrategy[object]:
    """A seed value as a caller could pass it; ``int(seed)`` is in the int32 range."""
    return SEEDS
