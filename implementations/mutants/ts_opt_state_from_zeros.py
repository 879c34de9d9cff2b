"""Mutant: ``create`` initialises ``opt_state`` from zeros shaped like the params.

Bug: ``opt_state=tx.init(jax.tree_util.tree_map(jnp.zeros_like, params))``.
For most optimizers ``init`` only reads shapes, so nothing shows; an optimizer
whose state starts from the parameter values (schedule-free SGD keeps a copy
``z`` of them) starts from the wrong point.
Caught by: ``test_train_state_create.py::test_create_starts_at_step_zero_and_keeps_its_inputs``
and ``test_train_state_optax_loop.py`` with ``optax.contrib.schedule_free_sgd``.
"""

import jax
import jax.numpy as jnp
from flax.training import train_state


class TrainState(train_state.TrainState):
    @classmethod
    def create(cls, *, apply_fn, params, tx, **kwargs):
        zeros = jax.tree_util.tree_map(jnp.zeros_like, params)
        return cls(
            step=0, apply_fn=apply_fn, params=params, tx=tx, opt_state=tx.init(zeros), **kwargs
        )
