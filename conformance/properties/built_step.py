"""Whether a ``one_step`` built from a class fails because the class's own update does.

Where a module defines only a TrainState, the suite builds ``one_step`` from it
by the canonical recipe (:mod:`conformance.reference.recipe`): its loss after the
step is the class's ``apply_gradients`` of ``nn.Dense(1)``'s params under
``optax.sgd(lr)``.  A class whose update already leaves the Optax loop fails
``test_params_and_opt_state_follow_the_optax_loop``, and every one-step property
that judges the loss would fail again for that one cause.  So a one-step property
that fails on such a ``one_step`` makes the same update, of the problem's own
initial params by their exact gradient, in the class's process; where it differs
from the Optax loop, the property is blocked by that failure rather than failing
a second time.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from conformance.isolation.failures import ImplementationRaised
from conformance.isolation.implementations import Implementation
from conformance.properties.blocked import Blocked
from conformance.properties.observing import Context, Tree, observe
from conformance.properties.optax_loop import expected_loop
from conformance.properties.plain_update import OWNER, first_difference
from conformance.reference.oracle import initial_gradient
from conformance.reference.validation import validate
from conformance.strategies.optax_catalogue import OptimizerCase
from conformance.strategies.problems import Problem
from conformance.strategies.sequences import CallSequence

__all__ = ["block_if_the_class_update_differs"]


def block_if_the_class_update_differs(impl: Implementation, inputs: Mapping[str, object]) -> None:
    """Raise :class:`Blocked` when ``impl``'s ``one_step`` is built from its class and the
    class's update, on the first :class:`Problem` of ``inputs`` (a sequence's first), differs
    from the Optax loop."""
    cls = impl.capabilities().built_from
    problem = next(filter(None, map(_first_problem, inputs.values())), None)
    if cls is None or problem is None:
        return
    valid = validate(problem.seed, problem.x, problem.y, problem.lr)
    w0, _, grad_w, grad_b = initial_gradient(
        valid.seed, valid.x.astype(np.float64), valid.y.astype(np.float64)
    )
    # w0 is the float32 kernel widened, so it narrows back exactly.
    params = {"bias": np.zeros(1, np.float32), "kernel": w0.astype(np.float32)[:, None]}
    grads = {
        "bias": np.array([grad_b], np.float32),
        "kernel": grad_w.astype(np.float32)[:, None],
    }
    opt = OptimizerCase("sgd", (("learning_rate", float(valid.lr)),))
    ctx = Context(impl, {"tx": opt, "problem": problem.label()})
    try:
        seen = observe(ctx, "trajectory", tx=opt, params=Tree(params), grads=[Tree(grads)])
    except (ImplementationRaised, Blocked):
        # The class cannot make this update at all: the property's own failure stands.
        return
    found = first_difference(seen["after"], expected_loop(opt, params, [grads]))
    if found is not None:
        _, field, _, _, diff = found
        raise Blocked(
            f"one_step built from {cls.name} by the canonical recipe: the class's apply_gradients("
            f"grads=...) under optax.sgd already differs from the Optax loop, which {OWNER} "
            "judges",
            f"({field}: {diff}) {ctx}",
        )


def _first_problem(value: object) -> Problem | None:
    if isinstance(value, CallSequence):
        return value.first
    return value if isinstance(value, Problem) else None
