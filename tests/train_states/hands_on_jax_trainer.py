"""hands_on_jax's Trainer (sungyubkim/hands_on_jax, utils.py): a struct.PyTreeNode rewrite of
Flax's TrainState with a ``state`` field, for Haiku's ``transform_with_state``.

Created with ``Trainer.create(apply_fn=net.apply, params=params, state=state, tx=tx)`` and
stepped with ``trainer.apply_gradients(grads=grads, state=new_state)``. The class is as
written there; the alias ``TrainState`` is the name the suite reads. A field named
``state`` once collided with a parameter of the suite's own scenario code.
"""

from collections.abc import Callable
from typing import Any

import optax
from flax import struct


class Trainer(struct.PyTreeNode):
    apply_fn: Callable = struct.field(pytree_node=False)
    tx: Callable = struct.field(pytree_node=False)
    step: int
    params: Any = None
    state: Any = None
    opt_state: Any = None

    @classmethod
    def create(cls, *, apply_fn, params, tx, **kwargs):
        opt_state = tx.init(params)
        return cls(step=0, apply_fn=apply_fn, params=params, tx=tx, opt_state=opt_state, **kwargs)

    def apply_gradients(self, *, grads, **kwargs):
        updates, new_opt_state = self.tx.update(grads, self.opt_state, self.params)
        new_params = optax.apply_updates(self.params, updates)
        return self.replace(
            step=self.step + 1, params=new_params, opt_state=new_opt_state, **kwargs
        )


TrainState = Trainer
