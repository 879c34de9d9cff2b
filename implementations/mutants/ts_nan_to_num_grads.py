"""Mutant: ``apply_gradients`` "sanitises" the gradients before ``tx.update``: every NaN
becomes 0 and every inf the largest float32 of its sign (``jnp.nan_to_num``); the step is
counted as usual.

Flax hands the gradients to ``tx.update`` as given: a NaN gradient makes NaN params and
opt_state, which is how a diverging run shows (skipping or repairing bad steps is the
optimizer's job, ``optax.apply_if_finite``, where it is the caller's choice).  Here a NaN
update is no update and an inf one a huge finite step, and the run trains on silently.
Finite gradients give exactly Flax's result.
Exposed by: gradients with a NaN or an inf (the step count is right, so the step property
does not see it).
Caught by: ``test_train_state_optax_loop.py::test_params_and_opt_state_follow_the_optax_loop``
(its call 1 gradients with a NaN or a +inf).
"""

import jax
import jax.numpy as jnp
from flax.training import train_state


class TrainState(train_state.TrainState):
    def apply_gradients(self, *, grads, **kwargs):
        # BUG: the non-finite gradients Flax applies are replaced by finite ones
        grads = jax.tree_util.tree_map(jnp.nan_to_num, grads)
        return super().apply_gradients(grads=grads, **kwargs)
