"""Flax's own ``TrainState``: the canonical container, which defines the contract.

Defines only ``TrainState``, so the suite builds ``one_step`` from the
canonical recipe (:mod:`conformance.reference.recipe`) with it.
"""

from flax.training.train_state import TrainState

__all__ = ["TrainState"]
