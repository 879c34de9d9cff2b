"""Mutant: ``params`` is a static field instead of a pytree child.

Bug: ``params`` is declared ``struct.field(pytree_node=False)``: eager code
works, but the params are not leaves of the state, so ``jax.jit`` treats them
as a compile-time constant (unhashable dicts make it raise) and
``jax.tree_util.tree_map`` over the state skips them.
Caught by: ``test_train_state_pytree.py::test_apply_fn_and_tx_are_static`` and
``test_train_state_jit.py::test_jitted_apply_gradients_matches_eager``.
"""

from collections.abc import Callable
from typing import Any

import optax
from flax import struct


class TrainState(struct.PyTreeNode):
    step: int | Any
    apply_fn: Callable = struct.field(pytree_node=False)
    params: Any = struct.field(pytree_node=False)  # should be a pytree node
    tx: optax.GradientTransformation = struct.field(pytree_node=False)
    opt_state: optax.OptState = struct.field(pytree_node=True)

    def apply_gradients(self, *, grads, **kwargs):
        updates, opt_state = self.tx.update(grads, self.opt_state, self.params)
        params = optax.apply_updates(self.params, updates)
        return self.replace(step=self.step + 1, params=params, opt_state=opt_state, **kwargs)

    @classmethod
    def create(cls, *, apply_fn, params, tx, **kwargs):
        return cls(
            step=0, apply_fn=apply_fn, params=params, tx=tx, opt_state=tx.init(params), **kwargs
        )
