"""Mutant: ``apply_gradients`` rebuilds the state from Flax's five fields.

Bug: a Flax subclass with no field of its own whose ``apply_gradients``
returns ``type(self)(step=..., apply_fn=..., params=..., tx=..., opt_state=...)``
instead of ``self.replace(...)``.  Right for the class itself; a user's
subclass with a field of its own (``batch_stats: Any = None``) gets it reset
to its default on every update.
Caught by: ``test_train_state_subclass.py::test_a_subclass_keeps_its_own_fields``.
"""

import optax
from flax.training import train_state


class TrainState(train_state.TrainState):
    def apply_gradients(self, *, grads, **kwargs):
        updates, opt_state = self.tx.update(grads, self.opt_state, self.params)
        return type(self)(
            step=self.step + 1,
            params=optax.apply_updates(self.params, updates),
            opt_state=opt_state,
            **{"apply_fn": self.apply_fn, "tx": self.tx, **kwargs},
        )
