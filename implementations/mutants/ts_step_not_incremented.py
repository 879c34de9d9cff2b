"""Mutant: ``apply_gradients`` does not increment ``step``.

Bug: returns ``self.replace(step=self.step, ...)``; params and opt_state are
right (Optax keeps its own count), only the TrainState's counter stays at 0.
Caught by: ``test_train_state_step.py::test_step_counts_apply_gradients_calls``
(and every one-step property that reads ``step_after``).
"""

import optax
from flax.training import train_state


class TrainState(train_state.TrainState):
    def apply_gradients(self, *, grads, **kwargs):
        updates, opt_state = self.tx.update(grads, self.opt_state, self.params)
        params = optax.apply_updates(self.params, updates)
        return self.replace(step=self.step, params=params, opt_state=opt_state, **kwargs)
