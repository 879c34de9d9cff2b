"""Mutant: ``apply_gradients`` mutates the state in place and returns ``self``.

Bug: writes the new step, params and opt_state into ``self`` with
``object.__setattr__`` (bypassing the frozen dataclass) and returns ``self``;
the returned values are right, but every holder of the old state sees it change.
Caught by: ``test_train_state_old_state_unchanged.py``
(``test_apply_gradients_leaves_the_old_state_unchanged``).
"""

import optax
from flax.training import train_state


class TrainState(train_state.TrainState):
    def apply_gradients(self, *, grads, **kwargs):
        updates, opt_state = self.tx.update(grads, self.opt_state, self.params)
        params = optax.apply_updates(self.params, updates)
        fields = {"step": self.step + 1, "params": params, "opt_state": opt_state, **kwargs}
        for name, value in fields.items():
            object.__setattr__(self, name, value)
        return self
