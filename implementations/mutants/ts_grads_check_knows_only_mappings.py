"""Mutant: ``apply_gradients`` checks that the grads match the params before updating, to
raise a readable error, with a walk that knows only mappings: anything else is taken for one
array and compared by ``np.shape``.

Bug: a tuple or list of params (Haiku- and Equinox-style) is "one array"; ``np.shape`` of a
sequence of arrays of different shapes raises, so matching grads are refused.  Every dict or
``FrozenDict`` of params is checked right.
Caught by: ``test_train_state_optax_loop.py`` (its tuple and list params).
"""

from collections.abc import Mapping

import numpy as np
from flax.training import train_state


def _check(grads, params):
    if isinstance(params, Mapping):
        if not isinstance(grads, Mapping) or set(grads) != set(params):
            raise ValueError("grads do not match params")
        for key in params:
            _check(grads[key], params[key])
    elif np.shape(grads) != np.shape(params):
        raise ValueError("grads do not match params")


class TrainState(train_state.TrainState):
    def apply_gradients(self, *, grads, **kwargs):
        _check(grads, self.params)
        return super().apply_gradients(grads=grads, **kwargs)
