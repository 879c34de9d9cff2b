"""The canonical one-step recipe, built around a user's ``TrainState`` class.

:func:`one_step_from_train_state` turns a class with Flax's TrainState API
into ``one_step(seed, x, y, lr) -> [step_after, loss_after]``, so that a
module defining only ``TrainState`` is checked by every one-step property too.

It follows :mod:`conformance.reference.flax_step` line for line, with the user's class in
place of Flax's: ``nn.Dense(1)`` initialised with ``PRNGKey(int(seed))``,
``cls.create(apply_fn=model.apply, params=params, tx=optax.sgd(lr))``, the MSE
loss, one ``state.apply_gradients(grads=grads)``, the loss at the new params.

The class is only ever called eagerly (``create`` and ``apply_gradients`` run
outside ``jax.jit``), so a class that is not a pytree, or not traceable, still
gets a verdict on its arithmetic; whether it works under ``jax.jit`` is the
business of the TrainState properties.  The parts that do not involve the
class are jitted and cached: the Linen initialisation per ``(seed, D)``
(:func:`conformance.reference.flax_step.initial_params`), and the loss and its gradient
per ``(N, D)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import linen as nn

from conformance.reference.class_calls import EXTRA_FIELDS_CALL, ClassCallFailed
from conformance.reference.flax_step import initial_params
from conformance.reference.validation import validate

MODEL = nn.Dense(1)


def mse_loss(apply_fn: Callable[..., Any], params: Any, x: jax.Array, y: jax.Array) -> jax.Array:
    """``mean((apply_fn({"params": params}, x).reshape(-1) - y) ** 2)``, the canonical loss."""
    preds = apply_fn({"params": params}, x).reshape(-1)
    return jnp.mean((preds - y) ** 2)


loss = jax.jit(mse_loss, static_argnums=0)
"""Jitted :func:`mse_loss`; ``apply_fn`` is static (hashable, e.g. ``MODEL.apply``)."""
loss_grad = jax.jit(jax.grad(mse_loss, argnums=1), static_argnums=0)
"""Jitted gradient of :func:`mse_loss` with respect to ``params``."""


def _field(state: Any, name: str, made_by: str) -> Any:
    """``state.name``, where ``made_by`` is the class's call that returned ``state``: a state
    without the field is the class's failure, as its own calls' are."""
    try:
        return getattr(state, name)
    except Exception as exc:
        missing = name if isinstance(exc, AttributeError) else None
        raise ClassCallFailed(f"{made_by}.{name}", exc, missing) from exc


def one_step_from_train_state(
    cls: type[Any], fields: Callable[[Any], dict[str, Any]]
) -> Callable[[Any, Any, Any, Any], np.ndarray]:
    """The canonical ``one_step`` with ``cls`` in place of Flax's TrainState.

    The returned function validates its inputs like :mod:`conformance.reference.flax_step`
    (``int(seed)``, float32 ``x`` and ``y``, ``lr >= 0``) and returns
    ``np.array([float(step_after), float(loss_after)])``.  ``create`` also gets
    ``fields(params)``: the values of the class's extra fields
    (:mod:`conformance.properties.extra_fields`).  What the class's own calls
    raise comes out as :class:`ClassCallFailed`, naming the call as made.
    """

    def one_step(seed: Any, x: Any, y: Any, lr: Any) -> np.ndarray:
        inputs = validate(seed, x, y, lr)
        x32 = jnp.asarray(inputs.x)
        y32 = jnp.asarray(inputs.y)
        params = dict(initial_params(inputs.seed, int(x32.shape[1])))
        try:
            extra = fields(params)
        except Exception as exc:
            raise ClassCallFailed(EXTRA_FIELDS_CALL, exc) from exc
        keywords = ", ".join(f"{k}=..." for k in ["apply_fn", "params", "tx", *extra])
        try:
            state = cls.create(
                apply_fn=MODEL.apply, params=params, tx=optax.sgd(inputs.lr), **extra
            )
        except Exception as exc:
            raise ClassCallFailed(f"TrainState.create({keywords})", exc) from exc
        created = f"TrainState.create({keywords})"
        grads = loss_grad(MODEL.apply, _field(state, "params", created), x32, y32)
        try:
            new_state = state.apply_gradients(grads=grads)
        except Exception as exc:
            raise ClassCallFailed("state.apply_gradients(grads=...)", exc) from exc
        updated = "state.apply_gradients(grads=...)"
        loss_after = loss(MODEL.apply, _field(new_state, "params", updated), x32, y32)
        step = _field(new_state, "step", updated)
        try:
            return np.array([float(step), float(loss_after)])
        except Exception as exc:
            raise ClassCallFailed(f"float({updated}.step)", exc) from exc

    one_step.__name__ = f"one_step_from_{getattr(cls, '__name__', 'TrainState')}"
    one_step.__qualname__ = one_step.__name__
    one_step.__doc__ = (
        f"The canonical one SGD step with {getattr(cls, '__qualname__', cls)!r} "
        "(built by reference.recipe.one_step_from_train_state)."
    )
    return one_step
