"""The reference refuses every malformed input class with the documented exception.

Error inputs in the OpInfo style: each says which exception and which message.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.reference.flax_step import one_step
from conformance.reference.oracle import oracle_step

X = np.ones((3, 2), np.float32)
Y = np.ones(3, np.float32)

ERROR_INPUTS = [
    ("x 1-D", (0, np.ones(3), Y, 0.1), ValueError, r"x must be 2-D"),
    ("x 3-D", (0, np.ones((3, 2, 1)), Y, 0.1), ValueError, r"x must be 2-D"),
    ("y 2-D", (0, X, np.ones((3, 1)), 0.1), ValueError, r"y must be 1-D"),
    ("N mismatch", (0, X, np.ones(4), 0.1), ValueError, r"y has 4 entries but x has N=3"),
    ("N == 0", (0, np.ones((0, 2)), np.ones(0), 0.1), ValueError, r"N >= 1 rows"),
    ("D == 0", (0, np.ones((3, 0)), Y, 0.1), ValueError, r"D >= 1 columns"),
    ("NaN seed", (math.nan, X, Y, 0.1), ValueError, r"seed must be finite"),
    ("infinite seed", (math.inf, X, Y, 0.1), ValueError, r"seed must be finite"),
    ("seed above int32", (2**31, X, Y, 0.1), ValueError, r"outside the int32 range"),
    ("seed below int32", (-(2**31) - 1, X, Y, 0.1), ValueError, r"outside the int32 range"),
    ("NaN lr", (0, X, Y, math.nan), ValueError, r"lr must be finite"),
    ("infinite lr", (0, X, Y, math.inf), ValueError, r"lr must be finite"),
    ("negative lr", (0, X, Y, -0.1), ValueError, r"lr must be >= 0"),
    ("string seed", ("3", X, Y, 0.1), TypeError, r"seed must be a real number"),
    ("None lr", (0, X, Y, None), TypeError, r"lr must be a real number"),
    ("complex x", (0, X.astype(complex), Y, 0.1), TypeError, r"x must be a real numeric"),
    ("boolean y", (0, X, np.ones(3, bool), 0.1), TypeError, r"y must be a real numeric"),
]


@pytest.mark.parametrize("function", [one_step, oracle_step], ids=["reference", "oracle"])
@pytest.mark.parametrize(
    ("args", "error", "message"),
    [pytest.param(*case[1:], id=case[0]) for case in ERROR_INPUTS],
)
def test_error_inputs(function, args, error, message) -> None:
    with pytest.raises(error, match=message):
        function(*args)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.one_of(
        st.integers(max_value=-(2**31) - 1),
        st.integers(min_value=2**31),
        st.floats(min_value=2.0**31, allow_infinity=True),
        st.just(math.nan),
    )
)
def test_any_seed_outside_int32_is_refused(seed: float) -> None:
    with pytest.raises(ValueError, match=re.escape("seed")):
        one_step(seed, X, Y, 0.1)


@settings(max_examples=60, deadline=None)
@given(lr=st.one_of(st.floats(max_value=-1e-300), st.just(math.nan), st.just(-math.inf)))
def test_any_negative_or_nan_lr_is_refused(lr: float) -> None:
    with pytest.raises(ValueError, match="lr must be"):
        one_step(0, X, Y, lr)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 5), extra=st.integers(1, 3), d=st.integers(1, 4))
def test_any_length_mismatch_is_refused(n: int, extra: int, d: int) -> None:
    with pytest.raises(ValueError, match="entries but x has"):
        one_step(0, np.ones((n, d)), np.ones(n + extra), 0.1)
