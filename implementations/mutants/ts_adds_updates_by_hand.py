"""Mutant: ``apply_gradients`` adds the updates with ``p + u``, not ``optax.apply_updates``.

Bug: ``jax.tree_util.tree_map(lambda p, u: p + u, params, updates)``.  The values
agree in float32, but a float16 (or bfloat16) param plus a float32 update comes
back float32: ``optax.apply_updates`` casts each new param to its param's dtype.
Caught by: ``test_train_state_dtypes.py::test_params_keep_their_dtypes``.
"""

import jax
from flax.training import train_state


class TrainState(train_state.TrainState):
    def apply_gradients(self, *, grads, **kwargs):
        updates, opt_state = self.tx.update(grads, self.opt_state, self.params)
        params = jax.tree_util.tree_map(lambda p, u: p + u, self.params, updates)
        return self.replace(step=self.step + 1, params=params, opt_state=opt_state, **kwargs)
