"""Mutant: ``apply_gradients`` accepts ``grads`` positionally.

Bug: declared ``apply_gradients(self, grads, **kwargs)`` without the bare ``*``
of Flax's ``apply_gradients(self, *, grads, **kwargs)``, so
``state.apply_gradients(g)`` works here and breaks on Flax's class.
Caught by: ``test_train_state_keyword_only.py::test_positional_grads_raise_type_error``.
"""

from flax.training import train_state


class TrainState(train_state.TrainState):
    def apply_gradients(self, grads, **kwargs):  # no bare "*"
        return super().apply_gradients(grads=grads, **kwargs)
