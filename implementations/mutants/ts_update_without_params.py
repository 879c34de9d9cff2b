"""Mutant: ``tx.update`` is called without ``params``.

Bug: ``self.tx.update(grads, self.opt_state)``; fine for ``sgd``, Adam and
RMSProp, but transformations that read the parameters (``adamw``'s weight
decay, schedule-free SGD) raise ``ValueError``, where Flax passes ``params``.
Caught by: ``test_train_state_optax_loop.py::test_params_and_opt_state_follow_the_optax_loop``
(with ``optax.adamw`` or ``optax.contrib.schedule_free_sgd``).
"""

import optax
from flax.training import train_state


class TrainState(train_state.TrainState):
    def apply_gradients(self, *, grads, **kwargs):
        updates, opt_state = self.tx.update(grads, self.opt_state)  # params missing
        params = optax.apply_updates(self.params, updates)
        return self.replace(step=self.step + 1, params=params, opt_state=opt_state, **kwargs)
