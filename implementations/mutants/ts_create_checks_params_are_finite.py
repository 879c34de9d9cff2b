"""Mutant: ``create`` refuses params with a NaN or an inf, checked with Python's ``bool``.

Bug: the check reads the params' values in Python, so ``create`` cannot be traced:
``jax.jit(create_train_state)`` and ``jax.eval_shape`` (sharded initialisation asks it for
the state's shapes) raise ``TracerBoolConversionError``, where Flax's create returns a
state.  Called eagerly on finite params it is Flax's.
Caught by: ``test_train_state_create.py::test_create_starts_at_step_zero_and_keeps_its_inputs``
(create under ``jax.eval_shape``).
"""

import jax
import jax.numpy as jnp
from flax.training import train_state


class TrainState(train_state.TrainState):
    @classmethod
    def create(cls, *, apply_fn, params, tx, **kwargs):
        leaves = jax.tree_util.tree_leaves(params)
        if not all(bool(jnp.all(jnp.isfinite(leaf))) for leaf in leaves):  # BUG
            raise ValueError("params must be finite")
        return super().create(apply_fn=apply_fn, params=params, tx=tx, **kwargs)
