"""What the canonical step gives for a problem, and how far an implementation may be from it."""

from __future__ import annotations

from dataclasses import dataclass

from reference.flax_step import step_with_initial_loss
from reference.oracle import OracleStep, oracle_step
from reference.tolerance import pairwise
from strategies.problems import Problem


@dataclass(frozen=True)
class Expected:
    """The reference's float32 results and the oracle's exact values and error bounds."""

    step_after: float
    loss_after: float
    loss_before: float
    oracle: OracleStep

    @property
    def loss_after_tolerance(self) -> float:
        """How far two float32 computations of ``loss_after`` may be apart."""
        return pairwise(self.oracle.loss_after_error, self.oracle.loss_after_error)

    @property
    def loss_before_tolerance(self) -> float:
        """How far two float32 computations of the initial loss may be apart."""
        return pairwise(self.oracle.loss_before_error, self.oracle.loss_before_error)


def expected(problem: Problem) -> Expected:
    step_after, loss_after, loss_before = step_with_initial_loss(
        problem.seed, problem.x, problem.y, problem.lr
    )
    return Expected(
        step_after=float(step_after),
        loss_after=float(loss_after),
        loss_before=float(loss_before),
        oracle=oracle_step(problem.seed, problem.x, problem.y, problem.lr),
    )
