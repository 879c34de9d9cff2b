"""Mutant: ``apply_gradients`` forgives grads whose leaves line up with the params': when the
structures differ but both flatten to the same number of leaves with the same shapes, the
grads are rebuilt in the params' structure leaf by leaf, then applied.

Flax maps ``tx.update`` and ``optax.apply_updates`` over params and grads together, which
raises when any dict key differs.  Here grads for ``{'Dense_0', 'Dense_1'}`` train the layers of
``{'encoder', 'decoder'}`` by sorted position: after a model refactor renames a layer, the
gradients of one layer silently update another.  Other structures give exactly Flax's result.
Exposed by: grads with one dict key renamed, its place in sorted order kept (same containers,
same leaf shapes, so the leaves still line up).
Caught by: ``test_train_state_grads_structure.py::test_mismatched_grads_structure_raises``.
"""

import jax
import numpy as np
from flax.training import train_state


def _shapes(tree):
    return [np.shape(leaf) for leaf in jax.tree_util.tree_leaves(tree)]


class TrainState(train_state.TrainState):
    def apply_gradients(self, *, grads, **kwargs):
        treedef = jax.tree_util.tree_structure(self.params)
        # BUG: a structure that differs only in names is relabelled instead of refused
        if jax.tree_util.tree_structure(grads) != treedef and _shapes(grads) == _shapes(
            self.params
        ):
            grads = jax.tree_util.tree_unflatten(treedef, jax.tree_util.tree_leaves(grads))
        return super().apply_gradients(grads=grads, **kwargs)
