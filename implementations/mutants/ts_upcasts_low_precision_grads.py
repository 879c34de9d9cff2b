"""Mutant: ``apply_gradients`` casts float16 and bfloat16 grads to float32 before ``tx.update``,
to "keep the optimizer in full precision".

Bug: Flax hands the grads to ``tx.update`` as they come.  Cast first, a float32 param
steps on values its low-precision gradient never held, and a moment kept in a
low-precision param's dtype (Adam's ``mu`` of a float16 param) becomes float32.
Float32 grads are untouched, so every other property passes.
Caught by: ``test_train_state_dtypes.py::test_params_keep_their_dtypes`` with
low-precision grads.
"""

import jax
import jax.numpy as jnp
from flax.training import train_state


def _full(g):
    g = jnp.asarray(g)
    return g.astype(jnp.float32) if g.dtype in (jnp.float16, jnp.bfloat16) else g


class TrainState(train_state.TrainState):
    def apply_gradients(self, *, grads, **kwargs):
        grads = jax.tree_util.tree_map(_full, grads)  # BUG
        return super().apply_gradients(grads=grads, **kwargs)
