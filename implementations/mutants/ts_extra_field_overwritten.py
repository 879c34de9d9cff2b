"""Mutant: a DQN-style state whose ``apply_gradients`` also syncs the target network.

Bug: ``target_params`` (a field without a default, as in DQN code) is set to
the new params on every ``apply_gradients``, where Flax's carries every field
it does not update; the target network then never lags behind.
Caught by: ``test_train_state_extra_fields.py::
test_extra_fields_are_carried_replaced_and_kept_as_declared``.
"""

from typing import Any

from flax.training import train_state


class TrainState(train_state.TrainState):
    target_params: Any

    def apply_gradients(self, *, grads, **kwargs):
        new = super().apply_gradients(grads=grads, **kwargs)
        return new.replace(target_params=kwargs.get("target_params", new.params))
