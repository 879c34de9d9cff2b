"""Mutant: NumPy params are updated in place.

Bug: a subclass that saves a copy for params held as NumPy arrays (loaded from
a checkpoint, say) by adding each update into the array itself.  The new
state's values are right, but it shares its arrays with the old state, and the
old state, like the caller's params, is rewritten by every update.
Caught by: ``test_apply_gradients_leaves_the_old_state_unchanged`` (params drawn
with NumPy leaves).
"""

import jax
import numpy as np
import optax
from flax.training import train_state


class TrainState(train_state.TrainState):
    def apply_gradients(self, *, grads, **kwargs):
        updates, opt_state = self.tx.update(grads, self.opt_state, self.params)

        def add(param, update):
            if isinstance(param, np.ndarray):
                param += np.asarray(update, param.dtype)
                return param
            return optax.apply_updates(param, update)

        params = jax.tree_util.tree_map(add, self.params, updates)
        return self.replace(step=self.step + 1, params=params, opt_state=opt_state, **kwargs)
