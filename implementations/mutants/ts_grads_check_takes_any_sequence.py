"""Mutant: ``apply_gradients`` checks grads strictly against dict params, but takes any
sequence of the right length for tuple or list params, and rebuilds it in the params'
structure before the update.

Bug: Flax maps the update over ``params`` and ``grads`` together, and a list of grads for
tuple params (or a tuple for a list) is another pytree structure, which raises.  Here it
is applied.  Dict params, and every matching grads, behave as Flax's.
Caught by: ``test_train_state_grads_structure.py::test_mismatched_grads_structure_raises``
(tuple and list params, the other sequence type as grads).
"""

import jax
from flax.training import train_state


class TrainState(train_state.TrainState):
    def apply_gradients(self, *, grads, **kwargs):
        sequences = isinstance(self.params, (tuple, list)) and isinstance(grads, (tuple, list))
        if sequences and len(grads) == len(self.params):  # BUG: any sequence type passes
            grads = jax.tree_util.tree_unflatten(
                jax.tree_util.tree_structure(self.params), jax.tree_util.tree_leaves(grads)
            )
        return super().apply_gradients(grads=grads, **kwargs)
