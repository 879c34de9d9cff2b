"""Mutant: ``apply_gradients`` ignores its ``**kwargs``.

Bug: returns ``self.replace(step=..., params=..., opt_state=...)`` without
``**kwargs``, so ``apply_gradients(grads=g, batch_stats=new_stats)`` (or
``apply_fn=...``) silently keeps the old values.
Caught by: ``test_train_state_apply_gradients_kwargs.py``
(``test_apply_gradients_kwargs_replace_fields``).
"""

import optax
from flax.training import train_state


class TrainState(train_state.TrainState):
    def apply_gradients(self, *, grads, **kwargs):
        updates, opt_state = self.tx.update(grads, self.opt_state, self.params)
        params = optax.apply_updates(self.params, updates)
        return self.replace(step=self.step + 1, params=params, opt_state=opt_state)
