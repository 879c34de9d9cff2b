"""The strategies produce valid inputs and reach every edge the suite promises."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import Phase, find, given, settings

from conformance.strategies.learning_rates import DIVERGING_FACTOR
from conformance.strategies.problems import Problem, problems
from conformance.strategies.seeds import INT32_MAX, INT32_MIN, seeds
from conformance.strategies.shapes import (
    D_POOL,
    N_POOL,
    REPEATABLE_SHAPES,
    SHAPE_POOL,
    SHAPES_BY_KIND,
)

DRAWS = 2000


@settings(max_examples=300, deadline=None)
@given(problem=problems())
def test_problems_are_valid_inputs(problem: Problem) -> None:
    assert problem.x.ndim == 2 and problem.y.shape == (problem.n,)
    assert (problem.n, problem.d) in SHAPE_POOL
    assert problem.x.dtype in (np.float32, np.float64)
    assert problem.y.dtype in (np.float16, np.float32, np.float64) or problem.y.dtype.kind in "iu"
    assert problem.inconsistency() is None, problem.inconsistency()
    assert np.all(np.isfinite(problem.x)) and np.all(np.isfinite(problem.y))
    assert INT32_MIN <= int(problem.seed) <= INT32_MAX
    assert 0.0 <= problem.lr <= DIVERGING_FACTOR * problem.threshold * (1 + 1e-12)
    if problem.lr_kind == "zero":
        assert problem.lr == 0.0
    if problem.lr_kind == "small":
        assert 0.0 < problem.lr <= problem.threshold * (1 + 1e-12)
    if problem.lr_kind == "moderate":
        assert problem.threshold < problem.lr < 2 * problem.threshold


@pytest.mark.parametrize(
    ("x_dtype", "y_dtype"),
    [
        (np.float32, np.float64),
        (np.float64, np.float32),
        (np.float32, np.int64),
        (np.float64, np.float16),
        (np.float32, np.uint8),
    ],
)
def test_y_is_drawn_in_another_dtype_than_x(x_dtype: type, y_dtype: type) -> None:
    found = find(
        problems(),
        lambda p: p.x.dtype == x_dtype and p.y.dtype == y_dtype,
        settings=settings(max_examples=2000, database=None, deadline=None),
    )
    assert found.inconsistency() is None
    assert f"y.dtype={np.dtype(y_dtype).name}" in found.label()


@settings(max_examples=300, deadline=None)
@given(seed=seeds())
def test_seeds_truncate_into_int32(seed: object) -> None:
    assert INT32_MIN <= int(seed) <= INT32_MAX  # type: ignore[call-overload]


EDGES = {
    "N == 1": lambda p: p.n == 1,
    "D == 1": lambda p: p.d == 1,
    "N == D > 1": lambda p: p.n == p.d > 1,
    "N > 64": lambda p: p.n > 64,
    "N > 1000": lambda p: p.n > 1000,
    "float64 x": lambda p: p.x.dtype == np.float64,
    "values near 1e3": lambda p: np.abs(p.x).max() >= 500,
    "values near 1e-3": lambda p: 0 < np.abs(p.x).max() <= 2e-3,
    "zero column": lambda p: p.d > 1 and (p.x == 0).all(axis=0).any() and p.x.any(),
    "duplicated rows": lambda p: p.n > 2 and len(np.unique(p.x, axis=0)) < p.n and p.x.any(),
    "rank-deficient x": lambda p: p.n > p.d > 1 and np.linalg.matrix_rank(p.x) < p.d,
    "lr == 0": lambda p: p.lr == 0.0,
    "lr above 0.5": lambda p: p.lr > 0.5,
    "lr past 2/lambda_max": lambda p: p.lr > 2 * p.threshold,
    "negative fractional seed": lambda p: (
        isinstance(p.seed, float) and p.seed < 0 and p.seed != int(p.seed)
    ),
    "int32 maximum seed": lambda p: int(p.seed) == INT32_MAX,
    "int32 minimum seed": lambda p: int(p.seed) == INT32_MIN,
    "seed between -1 and 0": lambda p: -1 < float(p.seed) < 0,  # type: ignore[arg-type]
}


@pytest.fixture(scope="module")
def drawn() -> list[Problem]:
    """A fixed sample of the strategy (derandomized: the same every run)."""
    sample: list[Problem] = []

    @settings(
        max_examples=DRAWS, derandomize=True, database=None, phases=[Phase.generate], deadline=None
    )
    @given(problem=problems())
    def collect(problem: Problem) -> None:
        sample.append(problem)

    collect()
    return sample


@pytest.mark.parametrize("condition", list(EDGES.values()), ids=list(EDGES))
def test_edge_is_reachable(drawn: list[Problem], condition) -> None:
    hits = sum(bool(condition(problem)) for problem in drawn)
    assert hits > 0, f"not one of {len(drawn)} drawn problems has this edge"


def test_repeatable_shapes_double_into_the_pool() -> None:
    assert all((2 * n, d) in SHAPE_POOL for n, d in REPEATABLE_SHAPES)
    assert any(n > 64 and d > 1 for n, d in REPEATABLE_SHAPES)
    assert {1, 2, 3} <= {n for n, d in REPEATABLE_SHAPES if n == d}


def test_the_shape_pool_keeps_every_edge_class() -> None:
    """Every N with a single feature; every narrow D with a single row and square; every D
    above 1 with fewer rows than features, with more, and with N past 64."""
    assert {n for n, d in SHAPE_POOL if d == 1} == set(N_POOL)
    assert {d for n, d in SHAPE_POOL if n == 1} == {d for d in D_POOL if d < 9}
    assert {d for n, d in SHAPE_POOL if n == d} == {d for d in D_POOL if d < 9}
    for wide in (d for d in D_POOL if d > 8):
        assert any(n < wide and d == wide for n, d in SHAPE_POOL)
    for d in (d for d in D_POOL if 1 < d < 9):
        assert d == 2 or any(1 < n < d and dd == d for n, dd in SHAPE_POOL), d
        assert any(n > d and dd == d for n, dd in SHAPE_POOL), d
        assert any(n > 64 and dd == d for n, dd in SHAPE_POOL), d
    assert all(n > 64 for n, _ in SHAPES_BY_KIND["many rows"])
    assert any(n % 64 == 0 and d % 16 == 0 for n, d in SHAPES_BY_KIND["aligned"])
