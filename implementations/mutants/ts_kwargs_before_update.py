"""Mutant: ``apply_gradients`` sets the keyword fields before the update.

Bug: ``state = self.replace(**kwargs)`` first, then ``state.tx.update(grads,
state.opt_state, state.params)``: ``apply_gradients(grads=g, tx=new_tx)`` steps
with the new optimizer (and a new ``opt_state``), where Flax steps with the
state's own and only then stores the keywords.
Caught by: ``test_train_state_apply_gradients_kwargs.py::
test_keyword_fields_replace_after_the_update``.
"""

import optax
from flax.training import train_state


class TrainState(train_state.TrainState):
    def apply_gradients(self, *, grads, **kwargs):
        state = self.replace(**kwargs)
        updates, opt_state = state.tx.update(grads, state.opt_state, state.params)
        params = optax.apply_updates(state.params, updates)
        return state.replace(step=state.step + 1, params=params, opt_state=opt_state)
