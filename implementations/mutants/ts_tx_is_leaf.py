"""Mutant: ``tx`` is a pytree child instead of a static field.

Bug: ``tx`` is declared ``struct.field(pytree_node=True)``, so flattening the
state yields the transformation's ``init`` and ``update`` functions as leaves;
eager code works, ``jax.jit`` of ``apply_gradients`` raises (a function is not
a valid JAX type), and states with different optimizers share one structure.
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
    params: Any = struct.field(pytree_node=True)
    tx: optax.GradientTransformation = struct.field(pytree_node=True)  # should be False
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
