"""Mutant: the step counter becomes a float.

Bug: ``apply_gradients`` returns ``step=self.step + 1.0``; the values are right
(1.0, 2.0, ...) and ``float(step)`` in the one-step recipe cannot tell, but a
float counter loses exactness past 2**24 (float32 under jit) and breaks code
that indexes or compares it as an integer.
Caught by: ``test_train_state_step.py::test_step_counts_apply_gradients_calls``
(the step must be an integral scalar).
"""

import optax
from flax.training import train_state


class TrainState(train_state.TrainState):
    def apply_gradients(self, *, grads, **kwargs):
        updates, opt_state = self.tx.update(grads, self.opt_state, self.params)
        params = optax.apply_updates(self.params, updates)
        return self.replace(step=self.step + 1.0, params=params, opt_state=opt_state, **kwargs)
