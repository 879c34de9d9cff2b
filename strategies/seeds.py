"""Seeds: any real number whose ``int()`` lies in the int32 range.

The contract casts the seed with ``int()``, which truncates toward zero
(``int(-3.7) == -3``, ``int(-0.5) == 0``).  Besides plain ints the strategy
draws integral floats, fractional floats of both signs (the ones ``floor`` or
``round`` get wrong), NumPy scalars, and the int32 extremes, where a seed
folded to 16 bits or a sign dropped becomes visible.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from conformance.reference.validation import INT32_MAX, INT32_MIN
from conformance.strategies.cached import choice

EDGE_SEEDS = (0, 1, -1, 2, 42, 2**16, -(2**16), 2**24 + 1, INT32_MAX, INT32_MIN, INT32_MAX - 1)

int32_seeds = st.one_of(st.sampled_from(EDGE_SEEDS), st.integers(INT32_MIN, INT32_MAX))


SEED_FORMS = ("int", "float", "fractional float", "numpy int", "numpy float")
FRACTIONAL_FORMS = ("fractional float", "numpy float")

# Nonzero and at most 0.999 in magnitude, so that base + fraction cannot round to the next
# integer in float64 even at the int32 extremes.  Sign and magnitude are drawn apart, with
# zero excluded by the bounds: a filter on ``f != 0.0`` rejects often, because Hypothesis
# favours 0.0, and every rejected draw is an invalid example.
fractions = st.builds(
    lambda negative, magnitude: -magnitude if negative else magnitude,
    st.booleans(),
    st.floats(0.0, 0.999, exclude_min=True),
)


def spell(base: int, form: str, fraction: float) -> int | float | np.integer | np.floating:
    """``base`` written in ``form``; a fractional form moves ``|fraction|`` away from zero
    (for ``base == 0`` it takes the fraction's sign: ``int(-0.4) == 0``)."""
    if form == "int":
        return base
    if form == "float":
        return float(base)
    if form == "numpy int":
        return np.int64(base)
    if base == 0:
        value = fraction
    else:
        value = base - abs(fraction) if base < 0 else base + abs(fraction)
    return value if form == "fractional float" else np.float64(value)


@st.composite
def _seeds(draw: st.DrawFn) -> int | float | np.integer | np.floating:
    base = draw(int32_seeds)
    form = draw(choice(SEED_FORMS))
    # Only the fractional forms read the fraction; the others do not spend a draw on it.
    fraction = draw(fractions) if form in FRACTIONAL_FORMS else 0.0
    return spell(base, form, fraction)


SEEDS = _seeds()


def seeds() -> st.SearchStrategy[int | float | np.integer | np.floating]:
    """A seed value as a caller could pass it; ``int(seed)`` is in the int32 range."""
    return SEEDS
