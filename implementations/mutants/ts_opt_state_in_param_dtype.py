"""Mutant: when every param is float16 or bfloat16, ``apply_gradients`` stores the opt_state
in that dtype too, "to halve the optimizer's memory".

Bug: Optax computes the new moments from float32 grads and keeps them in float32; rounded
to the params' dtype, a momentum or Adam state loses its low bits.  The first update's params
are right (they come from the unrounded state); the opt_state after it differs, and the
params from the second update on.
Caught by: ``test_train_state_dtypes.py::test_params_keep_their_dtypes`` (two updates,
params and opt_state compared after each).
"""

import jax
import jax.numpy as jnp
from flax.training import train_state


def _low_precision(tree):
    dtypes = {jnp.asarray(leaf).dtype for leaf in jax.tree_util.tree_leaves(tree)}
    return len(dtypes) == 1 and dtypes <= {jnp.dtype(jnp.float16), jnp.dtype(jnp.bfloat16)}


class TrainState(train_state.TrainState):
    def apply_gradients(self, *, grads, **kwargs):
        new = super().apply_gradients(grads=grads, **kwargs)
        if not _low_precision(self.params):
            return new
        (dtype,) = {jnp.asarray(leaf).dtype for leaf in jax.tree_util.tree_leaves(self.params)}
        opt_state = jax.tree_util.tree_map(
            lambda leaf: (
                leaf.astype(dtype)
                if jnp.issubdtype(jnp.asarray(leaf).dtype, jnp.floating)
                else leaf
            ),
            new.opt_state,
        )
        return new.replace(opt_state=opt_state)
