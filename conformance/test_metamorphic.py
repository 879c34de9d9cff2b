"""Property 9: invariances of the mean-squared loss.

The MSE loss, its gradient, and so the step and ``loss_after`` are the same
when the rows of ``(x, y)`` are permuted together, and when the whole dataset
is repeated (the mean over ``2N`` rows of a doubled dataset is the mean over
``N``).  A sum instead of a mean, a division by ``N - 1``, a dropped or
special-cased row, or predictions broadcast against the targets break them,
whatever the initialisation.  Two float32 computations of the same exact value
may differ by the sum of their rounding bounds.  The bounds come from the
reference's magnitudes; the error terms scale with the loss, so when the
implementation's own loss is larger (a different initialisation, say) the
bound is scaled up with it, and the property keeps judging the invariance
rather than the magnitude.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from conformance.isolation.implementations import Implementation
from conformance.properties.calling import call
from conformance.properties.expected import expected
from conformance.properties.skeleton import one_step_property
from conformance.reference.tolerance import pairwise
from conformance.strategies.edge_cases import edge_pins
from conformance.strategies.problems import Problem, problems
from conformance.strategies.shapes import REPEATABLE_SHAPES


def _loss_scale(own_loss: float, reference_loss: float) -> float:
    """How many times the implementation's loss exceeds the reference's (at least 1)."""
    return max(1.0, abs(own_loss) / max(abs(reference_loss), 1e-30))


@one_step_property(
    pins=edge_pins("small", "large", permutation_seed=1),
    problem=problems(),
    permutation_seed=st.integers(0, 2**32 - 1),
)
def test_row_permutation_invariance(
    impl: Implementation, problem: Problem, permutation_seed: int
) -> None:
    order = np.random.default_rng(permutation_seed).permutation(problem.n)
    if problem.n > 1 and np.array_equal(order, np.arange(problem.n)):
        order = np.roll(order, 1)
    permuted = problem.replace(x=problem.x[order], y=problem.y[order])
    original = call(impl, problem).loss
    shuffled = call(impl, permuted).loss
    want = expected(problem)
    bound = want.oracle.loss_after_error * _loss_scale(original, want.loss_after)
    tolerance = pairwise(bound, bound)
    assert abs(original - shuffled) <= tolerance, (
        f"loss_after={shuffled!r} with the rows permuted by {order.tolist()[:12]}, but "
        f"{original!r} in the original order (|difference| "
        f"{abs(original - shuffled):.3g} > tolerance {tolerance:.3g}); the mean-squared "
        f"loss does not depend on the order of the rows {problem.label()}"
    )


@one_step_property(pins=edge_pins("small", "absolute"), problem=problems(shapes=REPEATABLE_SHAPES))
def test_dataset_repetition_invariance(impl: Implementation, problem: Problem) -> None:
    doubled = problem.replace(x=np.concatenate([problem.x, problem.x]), y=np.tile(problem.y, 2))
    once = call(impl, problem).loss
    twice = call(impl, doubled).loss
    want_once, want_twice = expected(problem), expected(doubled)
    scale = _loss_scale(once, want_once.loss_after)
    tolerance = scale * pairwise(
        want_once.oracle.loss_after_error, want_twice.oracle.loss_after_error
    )
    assert abs(once - twice) <= tolerance, (
        f"loss_after={twice!r} on the dataset repeated twice (N={2 * problem.n}), but "
        f"{once!r} on it once (|difference| {abs(once - twice):.3g} > tolerance "
        f"{tolerance:.3g}); the mean over a repeated dataset equals the mean over it "
        f"{problem.label()}"
    )
