"""The reference ``one_step``: the canonical recipe, compiled once per input shape.

The body of :func:`_canonical_step` is the recipe of the problem statement line
for line: ``nn.Dense(1)``, ``TrainState.create(..., tx=optax.sgd(lr))``, the MSE
loss, one ``apply_gradients(grads=...)``, the loss at the new params.  It is
jitted with ``seed`` and ``lr`` as traced arguments, so a new seed or learning
rate costs no compilation; only a new ``(N, D)`` does.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import linen as nn
from flax.training import train_state

from reference.validation import validate

_MODEL = nn.Dense(1)


@jax.jit
def _canonical_step(
    seed: jax.Array, x: jax.Array, y: jax.Array, lr: jax.Array
) -> tuple[jax.Array, jax.Array, jax.Array]:
    params = _MODEL.init(jax.random.PRNGKey(seed), x)["params"]
    state = train_state.TrainState.create(apply_fn=_MODEL.apply, params=params, tx=optax.sgd(lr))

    def loss_fn(p):
        preds = state.apply_fn({"params": p}, x).reshape(-1)
        return jnp.mean((preds - y) ** 2)

    loss_before, grads = jax.value_and_grad(loss_fn)(state.params)
    new_state = state.apply_gradients(grads=grads)
    return new_state.step, loss_fn(new_state.params), loss_before


def step_with_initial_loss(seed: object, x: object, y: object, lr: object) -> np.ndarray:
    """``[step_after, loss_after, loss_before]`` of the canonical step, as float64."""
    inputs = validate(seed, x, y, lr)
    step, loss_after, loss_before = _canonical_step(
        np.int32(inputs.seed), inputs.x, inputs.y, inputs.lr
    )
    return np.array([float(step), float(loss_after), float(loss_before)])


def one_step(seed: object, x: object, y: object, lr: object) -> np.ndarray:
    """The canonical one SGD step: ``[step_after, loss_after]`` as a float64 ``(2,)`` array."""
    return step_with_initial_loss(seed, x, y, lr)[:2]
