"""A state with an exponential moving average of the params, with a default (the
``ema_params: Any = None`` pattern of diffusion and vision code), updated by the
training loop with ``state.replace(ema_params=...)``.
"""

from typing import Any

from flax.training import train_state


class TrainState(train_state.TrainState):
    ema_params: Any = None
    ema_decay: float = 0.999
