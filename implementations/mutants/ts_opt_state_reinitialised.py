"""Mutant: ``opt_state`` is re-initialised on every update instead of carried over.

Bug: ``apply_gradients`` calls ``self.tx.update(grads, self.tx.init(self.params),
self.params)``.  The first update is right (it starts from ``tx.init`` anyway),
and stateless ``sgd`` never notices; from the second update on, momentum, Adam
moments, step counts and schedules restart.
Caught by: ``test_train_state_optax_loop.py::test_params_and_opt_state_follow_the_optax_loop``
(k >= 2 with a stateful optimizer).
"""

import optax
from flax.training import train_state


class TrainState(train_state.TrainState):
    def apply_gradients(self, *, grads, **kwargs):
        fresh = self.tx.init(self.params)
        updates, opt_state = self.tx.update(grads, fresh, self.params)
        params = optax.apply_updates(self.params, updates)
        return self.replace(step=self.step + 1, params=params, opt_state=opt_state, **kwargs)
