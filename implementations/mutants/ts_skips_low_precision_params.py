"""Mutant: ``apply_gradients`` leaves float16 and bfloat16 params as they were, as if they
were frozen copies kept for inference, and updates only the float32 ones.

Bug: a "mixed precision" rule that treats a low-precision param as not
trainable.  Every dtype is kept and float32 params follow the Optax loop, so only the
values of low-precision params after an update show it.
Caught by: ``test_train_state_dtypes.py::test_params_keep_their_dtypes`` (the float32
update agrees, so the property fails rather than being blocked).
"""

import jax
import jax.numpy as jnp
import optax
from flax.training import train_state


def _trainable(param):
    return jnp.asarray(param).dtype not in (jnp.float16, jnp.bfloat16)


class TrainState(train_state.TrainState):
    def apply_gradients(self, *, grads, **kwargs):
        updates, opt_state = self.tx.update(grads, self.opt_state, self.params)
        stepped = optax.apply_updates(self.params, updates)
        params = jax.tree_util.tree_map(
            lambda old, new: new if _trainable(old) else old, self.params, stepped
        )
        return self.replace(step=self.step + 1, params=params, opt_state=opt_state, **kwargs)
