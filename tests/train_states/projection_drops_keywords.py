"""``ProjectionTrainState`` from a multi-agent policy-gradient project (tabular policies):
Flax's class with an ``apply_gradients(self, grads, **kwargs)`` of its own, which advances
``step`` and ``opt_state`` through Flax's with zero grads, then sets ``params`` to a
projection onto the truncated simplex of ``params + grads``, and drops every keyword.

Real differences, each its own: the update is not the Optax loop's; ``grads`` is accepted
positionally; keyword fields are ignored.  And the projection raises on a scalar param
(``jnp.concatenate`` of 0-d arrays), so a property that needs an update on a tree with a
scalar leaf cannot judge that example: it judges the others, and the differences behind
the scalar failure are still found.  The helper and the class as the project writes them,
formatted by ruff; the project's other imports are dropped.
"""

from functools import partial

import jax
import jax.numpy as jnp
from flax.training.train_state import TrainState


def projection_simplex_truncated(x: jnp.ndarray, eps: float) -> jnp.ndarray:
    """
    Code adapted from
    https://www.ryanhmckenna.com/2019/10/projecting-onto-probability-simplex.html
    To represent truncated simplex projection. Assumes 1D vector.
    """
    ones = jnp.ones_like(x)
    lambdas = jnp.concatenate((ones * eps - x, ones - x), axis=-1)
    idx = jnp.argsort(lambdas)
    lambdas = jnp.take_along_axis(lambdas, idx, -1)
    active = jnp.cumsum((jnp.float32(idx < x.shape[-1])) * 2 - 1, axis=-1)[..., :-1]
    diffs = jnp.diff(lambdas, n=1, axis=-1)
    left = (ones * eps).sum(axis=-1)
    left = left.reshape(*left.shape, 1)
    totals = left + jnp.cumsum(active * diffs, axis=-1)

    def generate_vmap(counter, func):
        if counter == 0:
            return func
        else:
            return generate_vmap(counter - 1, jax.vmap(func))

    i = jnp.expand_dims(
        generate_vmap(len(totals.shape) - 1, partial(jnp.searchsorted, v=1))(totals), -1
    )
    lam = (1 - jnp.take_along_axis(totals, i, -1)) / jnp.take_along_axis(
        active, i, -1
    ) + jnp.take_along_axis(lambdas, i + 1, -1)
    return jnp.clip(x + lam, eps, 1)


class ProjectionTrainState(TrainState):
    trunc_size: float = 1e-5

    def apply_gradients(self, grads, **kwargs):
        """
        Apply gradients with projection onto simplex.
        """
        ts = super().apply_gradients(grads=jax.tree_util.tree_map(jnp.zeros_like, self.params))
        m = 1
        if kwargs.get("team"):
            m = 10
        new_params = jax.tree_util.tree_map(
            lambda x, g: projection_simplex_truncated(x + m * g, self.trunc_size), ts.params, grads
        )
        return ts.replace(
            params=new_params,
        )


TrainState = ProjectionTrainState
