"""Mutant: the updates are subtracted from the params (gradient ascent).

Bug: ``params - updates`` in place of ``optax.apply_updates(params, updates)``
(``params + updates``); Optax's updates already carry the minus sign of
descent, so this climbs the loss.
Caught by: ``test_train_state_optax_loop.py`` and
``test_train_state_loss_decreases.py::test_small_sgd_step_does_not_increase_dense_loss``.
"""

import jax
from flax.training import train_state


class TrainState(train_state.TrainState):
    def apply_gradients(self, *, grads, **kwargs):
        updates, opt_state = self.tx.update(grads, self.opt_state, self.params)
        params = jax.tree_util.tree_map(lambda p, u: p - u, self.params, updates)
        return self.replace(step=self.step + 1, params=params, opt_state=opt_state, **kwargs)
