"""A state that forwards extra optimizer arguments to ``tx.update`` (DramaCow/June's rejax
wrapper, ``june/algos/rejax/train_state.py``): a required ``opt_params`` field, and an
``apply_gradients(self, *, grads)`` that takes no other keyword.

A real difference: ``apply_gradients(grads=..., apply_fn=...)`` raises ``TypeError``, so
fields cannot be replaced through it.  That fails once, in the property that owns keyword
fields; the two other properties that pass keywords are blocked by it.
"""

from typing import Any

import optax
from flax import core, struct
from flax.training.train_state import TrainState as BaseTrainState


class TrainStateWithOptArgs(BaseTrainState):
    opt_params: core.FrozenDict[str, Any] = struct.field(pytree_node=True)

    def apply_gradients(self, *, grads):
        updates, new_opt_state = self.tx.update(
            grads, self.opt_state, self.params, **self.opt_params
        )
        new_params = optax.apply_updates(self.params, updates)
        return self.replace(step=self.step + 1, params=new_params, opt_state=new_opt_state)


TrainState = TrainStateWithOptArgs
