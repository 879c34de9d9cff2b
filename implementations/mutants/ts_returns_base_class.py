"""Mutant: a subclass whose ``apply_gradients`` returns an instance of the base class.

Bug: a Flax subclass with an extra field (``extra``) that rebuilds the new
state as ``flax.training.train_state.TrainState(step=..., ...)`` instead of
``self.replace(...)``: the result has the wrong type and has lost ``extra``.
Caught by: ``test_train_state_step.py::test_step_counts_apply_gradients_calls``
(same type) and the extra-field properties.
"""

from typing import Any

import optax
from flax.training import train_state


class TrainState(train_state.TrainState):
    extra: Any = 0

    def apply_gradients(self, *, grads, **kwargs):
        updates, opt_state = self.tx.update(grads, self.opt_state, self.params)
        return train_state.TrainState(
            step=self.step + 1,
            apply_fn=kwargs.get("apply_fn", self.apply_fn),
            params=optax.apply_updates(self.params, updates),
            tx=self.tx,
            opt_state=opt_state,
        )
