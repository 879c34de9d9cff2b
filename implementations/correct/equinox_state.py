"""The one SGD step with Equinox: an ``eqx.Module`` model and an ``eqx.Module`` TrainState.

``TrainState`` follows ``flax.training.train_state.TrainState``: fields
``step``, ``params``, ``opt_state`` (pytree leaves) and ``apply_fn``, ``tx``
(``eqx.field(static=True)``); instances are frozen; ``create(*, apply_fn,
params, tx, **kwargs)`` starts at ``step=0``; keyword-only
``apply_gradients(*, grads, **kwargs)`` returns a new instance with
``step + 1``; ``replace(**changes)`` is ``dataclasses.replace``.

The model is an ``eqx.Module`` ``Linear`` holding a ``(D, 1)`` kernel and a
``(1,)`` bias with ``nn.Dense(1)``'s Linen initialisation.  The whole step is
one ``eqx.filter_jit`` (arrays traced, so ``seed`` and ``lr`` do not recompile).
"""

import dataclasses
import hashlib
from collections.abc import Callable
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax

_PARAMS_FOLD = int.from_bytes(hashlib.sha1(b"\x01").digest()[:4], "big")
_TRUNC_NORMAL_STD = 0.87962566103423978


class TrainState(eqx.Module):
    step: int | jax.Array
    apply_fn: Callable = eqx.field(static=True)
    params: Any
    tx: optax.GradientTransformation = eqx.field(static=True)
    opt_state: optax.OptState

    def replace(self, **changes: Any) -> "TrainState":
        return dataclasses.replace(self, **changes)

    def apply_gradients(self, *, grads: Any, **kwargs: Any) -> "TrainState":
        updates, new_opt_state = self.tx.update(grads, self.opt_state, self.params)
        new_params = optax.apply_updates(self.params, updates)
        return self.replace(
            step=self.step + 1, params=new_params, opt_state=new_opt_state, **kwargs
        )

    @classmethod
    def create(cls, *, apply_fn: Callable, params: Any, tx: Any, **kwargs: Any) -> "TrainState":
        return cls(
            step=0, apply_fn=apply_fn, params=params, tx=tx, opt_state=tx.init(params), **kwargs
        )


class Linear(eqx.Module):
    kernel: jax.Array  # (D, 1)
    bias: jax.Array  # (1,)

    def __call__(self, x: jax.Array) -> jax.Array:
        return x @ self.kernel + self.bias

    @classmethod
    def linen_init(cls, seed: jax.Array, d: int) -> "Linear":
        """The params of ``nn.Dense(1).init(PRNGKey(seed), x)``."""
        key = jax.random.fold_in(jax.random.PRNGKey(seed), _PARAMS_FOLD)
        std = jnp.sqrt(jnp.array(1.0 / d, jnp.float32)) / jnp.array(_TRUNC_NORMAL_STD, jnp.float32)
        kernel = jax.random.truncated_normal(key, -2.0, 2.0, (d, 1), jnp.float32) * std
        return cls(kernel=kernel, bias=jnp.zeros((1,), jnp.float32))


def _apply(model: Linear, x: jax.Array) -> jax.Array:
    return model(x)


@eqx.filter_jit
def _step(seed: jax.Array, x: jax.Array, y: jax.Array, lr: jax.Array) -> jax.Array:
    params = Linear.linen_init(seed, x.shape[1])
    state = TrainState.create(apply_fn=_apply, params=params, tx=optax.sgd(lr))

    def loss_fn(p: Linear) -> jax.Array:
        return jnp.mean((state.apply_fn(p, x).reshape(-1) - y) ** 2)

    state = state.apply_gradients(grads=eqx.filter_grad(loss_fn)(state.params))
    return jnp.stack([jnp.asarray(state.step, jnp.float32), loss_fn(state.params)])


def one_step(seed, x, y, lr) -> np.ndarray:
    out = _step(
        np.int32(int(seed)), np.asarray(x, np.float32), np.asarray(y, np.float32), np.float32(lr)
    )
    return np.asarray(out)
