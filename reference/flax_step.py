"""The reference ``one_step``: the canonical recipe, compiled once per input shape.

:func:`_canonical_step` is the recipe of the problem statement line for line:
``TrainState.create(..., tx=optax.sgd(lr))`` around ``nn.Dense(1)``, the MSE
loss, one ``apply_gradients(grads=...)``, the loss at the new params.  It is
jitted with ``lr`` traced, so a new learning rate costs no compilation; only a
new ``(N, D)`` does.

``model.init(PRNGKey(seed), x)`` depends on ``x`` only through ``D`` (Linen
creates a ``(D, 1)`` kernel and a zero bias), so :func:`initial_params` runs it
on a ``(1, D)`` placeholder, jitted once per ``D`` and cached per
``(seed, D)``.  That keeps Flax's init out of the per-shape compilation, which
halves its cost; ``tests/test_reference.py`` checks that it equals
``model.init`` on the real ``x``.
"""

from __future__ import annotations

import functools
from typing import cast

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import linen as nn
from flax.training import train_state

from conformance.reference.validation import validate

TrainState = train_state.TrainState
"""Exported so that the TrainState-contract properties also run on Flax's own class."""

_MODEL = nn.Dense(1)
_INIT_CACHE_SIZE = 4096


@functools.partial(jax.jit, static_argnums=1)
def _init(seed: jax.Array, d: int) -> dict[str, jax.Array]:
    # Flax types variables as Any; Dense's params are its "kernel" and "bias" arrays.
    return cast(
        "dict[str, jax.Array]",
        _MODEL.init(jax.random.PRNGKey(seed), jnp.zeros((1, d), jnp.float32))["params"],
    )


@functools.lru_cache(maxsize=_INIT_CACHE_SIZE)
def initial_params(seed: int, d: int) -> dict[str, jax.Array]:
    """``nn.Dense(1).init(PRNGKey(seed), x)["params"]`` for any ``x`` with ``D`` columns."""
    # jax.jit's wrapper is typed to return Any; it returns what _init does.
    return cast("dict[str, jax.Array]", _init(np.int32(seed), d))


@jax.jit
def _canonical_step(
    params: dict[str, jax.Array], x: jax.Array, y: jax.Array, lr: jax.Array
) -> tuple[jax.Array, jax.Array, jax.Array]:
    # Flax's TrainState.create has no annotations.
    state = TrainState.create(apply_fn=_MODEL.apply, params=params, tx=optax.sgd(lr))  # type: ignore[no-untyped-call]

    def loss_fn(p: dict[str, jax.Array]) -> jax.Array:
        preds = state.apply_fn({"params": p}, x).reshape(-1)
        return jnp.mean((preds - y) ** 2)

    loss_before, grads = jax.value_and_grad(loss_fn)(state.params)
    new_state = state.apply_gradients(grads=grads)
    return new_state.step, loss_fn(new_state.params), loss_before


def step_with_initial_loss(seed: object, x: object, y: object, lr: object) -> np.ndarray:
    """``[step_after, loss_after, loss_before]`` of the canonical step, as float64."""
    inputs = validate(seed, x, y, lr)
    params = initial_params(inputs.seed, inputs.x.shape[1])
    step, loss_after, loss_before = _canonical_step(params, inputs.x, inputs.y, inputs.lr)
    return np.array([float(step), float(loss_after), float(loss_before)])


def one_step(seed: object, x: object, y: object, lr: object) -> np.ndarray:
    """The canonical one SGD step: ``[step_after, loss_after]`` as a float64 ``(2,)`` array."""
    return step_with_initial_loss(seed, x, y, lr)[:2]
