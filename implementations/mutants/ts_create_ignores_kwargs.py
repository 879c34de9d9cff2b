"""Mutant: ``create`` drops its ``**kwargs``.

Bug: a Flax subclass with an extra field (``extra``, default 0) whose
``create`` builds ``cls(step=0, apply_fn=..., params=..., tx=..., opt_state=...)``
without passing ``**kwargs`` on: ``create(extra=5)`` silently gives
``extra == 0``, and an unknown keyword is silently accepted.
Caught by: ``test_train_state_create_kwargs.py`` (both properties).
"""

from typing import Any

from flax.training import train_state


class TrainState(train_state.TrainState):
    extra: Any = 0

    @classmethod
    def create(cls, *, apply_fn, params, tx, **kwargs):
        return cls(step=0, apply_fn=apply_fn, params=params, tx=tx, opt_state=tx.init(params))
