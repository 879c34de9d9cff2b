"""Mutant: for a large 2-D leaf (65536 entries or more, an embedding table), the rows whose
gradient is all zero keep their params, as a sparse ("lazy") optimizer does.

Bug: Flax's TrainState applies Optax to every row: AdamW's weight decay and the moments'
momentum move rows without a gradient.  Small leaves are updated as Flax does.
Caught by: ``test_train_state_optax_loop.py`` (its 256 x 256 embedding-table pin).
"""

import jax
import jax.numpy as jnp
from flax.training import train_state

_LARGE = 65536


def _lazy(old, new, grad):
    if jnp.ndim(grad) != 2 or jnp.size(grad) < _LARGE or jnp.shape(new) != jnp.shape(grad):
        return new
    touched = jnp.any(grad != 0, axis=1, keepdims=True)
    return jnp.where(touched, new, old)


class TrainState(train_state.TrainState):
    def apply_gradients(self, *, grads, **kwargs):
        new = super().apply_gradients(grads=grads, **kwargs)
        return new.replace(params=jax.tree_util.tree_map(_lazy, self.params, new.params, grads))
