"""What the canonical step gives for a problem, and how far an implementation may be from it.

The judge computes no float32 answer of its own: the exact values come from
the float64 oracle (:mod:`conformance.reference.oracle`, Linen's init rebuilt bit for bit,
the step in closed form) and the tolerance from the float32 rounding bound of
:mod:`conformance.reference.tolerance`, which holds for any float32 evaluation of the
recipe (``tests/test_reference.py`` checks it on the reference itself).  So
an implementation is judged against exact arithmetic, the reference is an
implementation under test like any other, and no Flax code runs where the
verdict is decided.

Results are kept per problem (its bytes): a property often asks for the same
problem more than once, and the pinned edge problems recur in every property
and for every implementation.
"""

from __future__ import annotations

from dataclasses import dataclass

from conformance.properties import matmul_precision
from conformance.properties.exact_keys import exact_key
from conformance.reference.oracle import OracleStep, oracle_step
from conformance.strategies.problems import Problem

STEP_AFTER = 1.0
"""One ``apply_gradients`` from ``TrainState.create`` (step 0)."""


@dataclass(frozen=True)
class Expected:
    """The exact results of the canonical step and the float32 rounding bounds on them."""

    oracle: OracleStep

    @property
    def step_after(self) -> float:
        return STEP_AFTER

    @property
    def loss_after(self) -> float:
        return self.oracle.loss_after

    @property
    def loss_before(self) -> float:
        return self.oracle.loss_before

    @property
    def loss_after_tolerance(self) -> float:
        """How far a float32 computation of ``loss_after`` may be from the exact value."""
        return self.oracle.loss_after_error

    @property
    def loss_before_tolerance(self) -> float:
        """How far a float32 computation of the initial loss may be from the exact value."""
        return self.oracle.loss_before_error


def _key(problem: Problem) -> tuple[object, ...]:
    return (
        matmul_precision.in_force(),
        *(exact_key(part) for part in (problem.seed, problem.x, problem.y, problem.lr)),
    )


_CACHE: dict[tuple[object, ...], Expected] = {}
_CACHE_LIMIT = 8192


def expected(problem: Problem) -> Expected:
    key = _key(problem)
    found = _CACHE.get(key)
    if found is None:
        if len(_CACHE) >= _CACHE_LIMIT:
            _CACHE.clear()
        found = _CACHE[key] = Expected(
            oracle_step(problem.seed, problem.x, problem.y, problem.lr, matmul_precision.in_force())
        )
    return found
