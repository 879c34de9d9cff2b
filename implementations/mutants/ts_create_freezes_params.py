"""Mutant: ``create`` wraps the params in a ``FrozenDict``.

Bug: ``params=flax.core.freeze(params)`` (what Flax did before 0.7): the
params are no longer kept as given, and plain-dict gradients from
``jax.grad`` no longer match their structure, so ``apply_gradients`` raises.
Caught by: ``test_train_state_create.py::test_create_starts_at_step_zero_and_keeps_its_inputs``
(params kept as given) and the update properties.
"""

from flax.core import freeze
from flax.training import train_state


class TrainState(train_state.TrainState):
    @classmethod
    def create(cls, *, apply_fn, params, tx, **kwargs):
        params = freeze(params)
        return cls(
            step=0, apply_fn=apply_fn, params=params, tx=tx, opt_state=tx.init(params), **kwargs
        )
