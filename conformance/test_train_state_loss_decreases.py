"""One small SGD step with the TrainState does not increase the loss of ``nn.Dense(1)``.

The model is Linen's ``nn.Dense(1)`` (``apply_fn=model.apply``, the params of
``model.init(PRNGKey(seed), x)``), the loss the MSE ``mean((apply_fn({"params":
p}, x) - y)**2)``, the optimizer ``optax.sgd(lr)`` with ``lr`` at most the
loss's descent threshold ``1/lambda_max`` of its Hessian
(:func:`conformance.reference.oracle.descent_threshold`).  The implementation's process
takes the step with the class and sends back the new params; the losses
before and after are computed here.  In exact arithmetic such a step lowers
the loss by at least ``lr |g|^2 / 2``; the float32 losses may each be off by
the bound of :mod:`conformance.reference.tolerance`, so the property allows their sum.
"""

from __future__ import annotations

import jax
import numpy as np

from conformance.properties import train_state as ts
from conformance.reference.flax_step import initial_params
from conformance.reference.oracle import descent_threshold, oracle_step
from conformance.reference.recipe import MODEL, loss, loss_grad
from conformance.reference.tolerance import pairwise
from conformance.strategies.train_state_cases import (
    EDGE_DENSE_PROBLEMS,
    DenseProblem,
    dense_problems,
)

N_POOL = (1, 2, 4, 8)
D_POOL = (1, 2, 3)


@ts.property(pins=EDGE_DENSE_PROBLEMS, problem=dense_problems())
def test_small_sgd_step_does_not_increase_dense_loss(
    impl: ts.Implementation, problem: DenseProblem
) -> None:
    x, y, seed, fraction = problem.x, problem.y, problem.seed, problem.fraction
    n, d = x.shape
    threshold = descent_threshold(x)
    lr = float(np.float32(fraction * threshold))
    ctx = ts.Context(impl, {"model": "nn.Dense(1)", "N": n, "D": d, "seed": seed, "lr": lr})
    bounds = oracle_step(seed, x, y, lr)
    start = dict(initial_params(seed, d))
    # The jitted functions take the NumPy arrays as they are (float32): jnp.asarray would
    # compile a program of its own per shape.
    grads = loss_grad(MODEL.apply, start, x, y)
    seen = ts.observe(ctx, "dense_sgd_step", params=ts.Tree(start), grads=ts.Tree(grads), lr=lr)
    assert seen["apply_fn_kept"], (
        f"{impl.name}: after apply_gradients the state's apply_fn is not the model's apply "
        f"passed to create {ctx}"
    )
    stepped = ts.tree(seen["params"])
    structure = ts.expected_tree(start)
    assert stepped.treedef == structure.treedef and all(
        leaf.array is not None for leaf in stepped.leaves
    ), (
        f"{impl.name}: params after apply_gradients are {stepped.shapes()}, expected arrays "
        f"shaped like {structure.shapes()} {ctx}"
    )
    new = jax.tree_util.tree_unflatten(
        jax.tree_util.tree_structure(start), [leaf.array for leaf in stepped.leaves]
    )
    loss_before = float(loss(MODEL.apply, start, x, y))
    loss_after = float(loss(MODEL.apply, new, x, y))
    slack = pairwise(bounds.loss_before_error, bounds.loss_after_error)
    assert loss_after <= loss_before + slack, (
        f"{impl.name}: the MSE loss of nn.Dense(1) rose from {loss_before!r} to {loss_after!r} "
        f"after one apply_gradients with optax.sgd({lr!r}), lr = {fraction:.3g} x the descent "
        f"threshold {threshold:.6g} (exact descent at least {lr * bounds.grad_sq_norm / 2:.3g}, "
        f"float32 slack {slack:.3g}); the update must move params against the gradient "
        f"{ctx}"
    )
