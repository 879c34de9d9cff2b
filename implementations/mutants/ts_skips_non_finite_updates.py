"""Mutant: ``apply_gradients`` guards against divergence: when any gradient is NaN or inf it
returns the state unchanged, neither updating nor counting the step.

Flax applies every update it is given (a NaN gradient makes NaN params) and counts it; skipping
bad steps is the optimizer's job (``optax.apply_if_finite``), where it is the caller's choice.
Caught by: ``test_train_state_step.py::test_step_counts_apply_gradients_calls`` (its gradients
with a NaN or an inf).
"""

import jax
import jax.numpy as jnp
from flax.training import train_state


class TrainState(train_state.TrainState):
    def apply_gradients(self, *, grads, **kwargs):
        finite = all(bool(jnp.all(jnp.isfinite(g))) for g in jax.tree_util.tree_leaves(grads))
        # BUG: a non-finite update is dropped, and the step is not counted
        if not finite:
            return self
        return super().apply_gradients(grads=grads, **kwargs)
