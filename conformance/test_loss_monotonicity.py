"""Property 5: below the descent threshold one step does not increase the loss.

For the MSE loss of a linear model, ``L(theta - lr g) - L(theta) =
-lr |g|^2 (1 - lr g^T H g / (2 |g|^2)) <= -lr |g|^2 (1 - lr / (2t))`` with
``t = 1/lambda_max(H)``, so every ``0 < lr < 2t`` descends.  Both sides are
the implementation's own results (``lr`` against ``lr == 0``), which makes the
non-increase check independent of the initialisation.
"""

from __future__ import annotations

from conformance.isolation.implementations import Implementation
from conformance.properties.blocked import not_judged
from conformance.properties.calling import call
from conformance.properties.expected import expected
from conformance.properties.skeleton import one_step_property
from conformance.strategies.edge_cases import edge_pins
from conformance.strategies.problems import Problem, problems

DESCENDING_LR_KINDS = ("small", "moderate")
# "Well above float32 rounding": the predicted decrease must exceed the rounding slack
# this many times before a strict decrease is demanded.
STRICT_DECREASE_MARGIN = 4.0


def _rounding_slack(problem: Problem) -> tuple[float, float]:
    """``(slack, predicted minimum decrease)`` from the oracle for ``problem``."""
    oracle = expected(problem).oracle
    slack = oracle.loss_after_error + oracle.loss_before_error
    decrease = problem.lr * oracle.grad_sq_norm * (1.0 - problem.lr / (2.0 * problem.threshold))
    return slack, decrease


@one_step_property(
    pins=edge_pins(*DESCENDING_LR_KINDS), problem=problems(lr_kinds=DESCENDING_LR_KINDS)
)
def test_small_lr_does_not_increase_loss(impl: Implementation, problem: Problem) -> None:
    still = problem.replace(lr=0.0, lr_kind="zero")
    before = call(impl, still).loss
    after = call(impl, problem).loss
    slack, _ = _rounding_slack(problem)
    assert after <= before + slack, (
        f"loss_after={after!r} with lr={problem.lr!r}, but with lr=0 the same call gives "
        f"{before!r}: the step increased the loss by {after - before:.3g} (> float32 "
        f"slack {slack:.3g}) although lr < 2/lambda_max={2 * problem.threshold:.6g} must "
        f"descend {problem.label()}"
    )


@one_step_property(pins=edge_pins("small"), problem=problems(lr_kinds=DESCENDING_LR_KINDS))
def test_small_lr_strictly_decreases_loss(impl: Implementation, problem: Problem) -> None:
    slack, decrease = _rounding_slack(problem)
    if decrease <= STRICT_DECREASE_MARGIN * slack:
        not_judged("predicted decrease within rounding: not checked")
        return
    still = problem.replace(lr=0.0, lr_kind="zero")
    before = call(impl, still).loss
    after = call(impl, problem).loss
    assert after < before, (
        f"loss_after={after!r} with lr={problem.lr!r}, but with lr=0 the same call gives "
        f"{before!r}; the gradient predicts a decrease of at least {decrease:.3g}, far "
        f"above float32 rounding ({slack:.3g}) {problem.label()}"
    )
