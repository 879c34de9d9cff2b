"""Mutant: a TrainState whose fast replace (a shallow copy and object.__setattr__, for tight
Python loops) sets any attribute it is given, so apply_gradients(grads=..., lerning_rate=0.1)
takes a typo silently where Flax's replace raises TypeError.

Exposed by: apply_gradients(grads=..., not_a_field=...).
Caught by: the keyword property of apply_gradients (a field the class does not have must raise
TypeError).
"""

import copy

from flax.training import train_state


class TrainState(train_state.TrainState):
    pass


def _fast_replace(self, **updates):
    new = copy.copy(self)
    for name, value in updates.items():
        object.__setattr__(new, name, value)  # BUG: any name, declared or not
    return new


# flax.struct installs its own replace on every subclass, so this one is attached afterwards.
TrainState.replace = _fast_replace
