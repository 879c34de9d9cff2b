"""Mutant: ``apply_gradients(grads=None, **kwargs)`` only replaces fields.

Bug: ``grads`` defaults to ``None``, and then no update is made: only the
keyword fields are set (and the step counted), a convenience some codebases
add for "replace and count".  Flax's ``grads`` is a required keyword, and
``None`` is no tree of params' structure: both raise there.
Caught by: ``test_train_state_keyword_only.py::test_apply_gradients_without_grads_raises``.
"""

from flax.training import train_state


class TrainState(train_state.TrainState):
    def apply_gradients(self, *, grads=None, **kwargs):
        if grads is None:
            return self.replace(step=self.step + 1, **kwargs)
        return super().apply_gradients(grads=grads, **kwargs)
