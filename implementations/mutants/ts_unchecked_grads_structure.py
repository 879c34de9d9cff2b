"""Mutant: gradients are matched to params by leaf position, never by structure.

Bug: ``apply_gradients`` flattens ``grads`` and rebuilds them in the structure
of ``params`` from the first ``n`` leaves (zeros when there are fewer, each resized to
the shape of its parameter), so a
grads tree with an extra key, a missing key, another nesting or another
container type is silently applied to whichever params happen to line up.
Right structures give exactly Flax's result.
Caught by: ``test_train_state_grads_structure.py::test_mismatched_grads_structure_raises``.
"""

import jax
import jax.numpy as jnp
import optax
from flax.training import train_state


class TrainState(train_state.TrainState):
    def apply_gradients(self, *, grads, **kwargs):
        param_leaves, treedef = jax.tree_util.tree_flatten(self.params)
        grad_leaves = jax.tree_util.tree_leaves(grads)
        grad_leaves = grad_leaves[: len(param_leaves)] + [
            jnp.zeros_like(p) for p in param_leaves[len(grad_leaves) :]
        ]
        grads = jax.tree_util.tree_unflatten(
            treedef,
            [jnp.resize(g, jnp.shape(p)) for g, p in zip(grad_leaves, param_leaves, strict=True)],
        )
        updates, opt_state = self.tx.update(grads, self.opt_state, self.params)
        params = optax.apply_updates(self.params, updates)
        return self.replace(step=self.step + 1, params=params, opt_state=opt_state, **kwargs)
