"""A state for Optax's line-search optimizers (``optax.lbfgs``, ``scale_by_zoom_linesearch``),
whose ``apply_gradients`` requires the loss: ``apply_gradients(*, grads, value, value_fn)``.

Another API: every ``apply_gradients(grads=...)`` of the suite raises for the
missing keyword, once, in the property that owns the update; the properties
that need an update are blocked by it.
"""

import optax
from flax.training import train_state


class TrainState(train_state.TrainState):
    def apply_gradients(self, *, grads, value, value_fn, **kwargs):
        updates, opt_state = self.tx.update(
            grads, self.opt_state, self.params, value=value, grad=grads, value_fn=value_fn
        )
        params = optax.apply_updates(self.params, updates)
        return self.replace(step=self.step + 1, params=params, opt_state=opt_state, **kwargs)
