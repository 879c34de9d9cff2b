"""Mutant: ``create`` refuses an ``apply_fn`` that is not callable.

Bug: Flax keeps whatever ``apply_fn`` it is given and never calls it, and code that
applies its model elsewhere passes ``apply_fn=None``; here that raises ``TypeError``.
Every function is kept, so every other property passes.
Caught by: ``test_train_state_create.py::test_create_starts_at_step_zero_and_keeps_its_inputs``
with ``apply_fn=None``.
"""

from flax.training import train_state


class TrainState(train_state.TrainState):
    @classmethod
    def create(cls, *, apply_fn, params, tx, **kwargs):
        if not callable(apply_fn):  # BUG
            raise TypeError(f"apply_fn must be callable, got {apply_fn!r}")
        return super().create(apply_fn=apply_fn, params=params, tx=tx, **kwargs)
