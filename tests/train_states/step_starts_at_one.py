"""A subclass that counts steps from 1 (a "number of the next step" habit).

Real difference: ``create`` gives ``step=1``.  It fails the create property,
which owns ``step == 0``, and the one-step counter (``step_after`` is 2); the
step-counting property counts from where create started and passes.
"""

from flax.training import train_state


class TrainState(train_state.TrainState):
    @classmethod
    def create(cls, *, apply_fn, params, tx, **kwargs):
        return cls(
            step=1, apply_fn=apply_fn, params=params, tx=tx, opt_state=tx.init(params), **kwargs
        )
