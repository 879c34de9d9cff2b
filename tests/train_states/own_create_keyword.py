"""A subclass that overrides ``create`` to take its extra field as a keyword-only argument
and to build the optimizer state itself, still as Flax does (a pattern of codebases that
thread the model's variables through ``create``).
"""

from typing import Any

from flax.training import train_state


class TrainState(train_state.TrainState):
    batch_stats: Any = None

    @classmethod
    def create(cls, *, apply_fn, params, tx, batch_stats, **kwargs):
        return cls(
            step=0,
            apply_fn=apply_fn,
            params=params,
            tx=tx,
            opt_state=tx.init(params),
            batch_stats=batch_stats,
            **kwargs,
        )
