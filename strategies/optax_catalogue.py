"""A catalogue of named Optax transformations, and how each prints as the code that builds it.

Plain data and builders, without Hypothesis: the hosting process of a
TrainState implementation (:mod:`conformance.properties.train_state_scenarios`)
builds the transformation a property names from this same catalogue, and
:mod:`conformance.strategies.optimizers` draws names and hyper-parameters from it.

Each entry of :data:`CATALOGUE` is a named builder and, for each of its
hyper-parameters, a small tuple of values to draw from.  An
:class:`OptimizerCase` shows as the Optax expression that builds it
(``optax.adam(learning_rate=0.01, b1=0.9, b2=0.999, eps=1e-08)``), so a failure
names the optimizer exactly, and its ``repr`` rebuilds the case from that
expression (``OptimizerCase.of("optax.adam(...)")``).

:attr:`OptimizerCase.tx` is cached per ``(name, hyper-parameters)``: a
``GradientTransformation`` is a static field of a TrainState, part of its
pytree structure, so ``jax.jit`` compiles once per *object*.  Reusing the
object keeps the compiling properties to a few compiles.

The catalogue covers stateless (``sgd``), stateful (momentum, Adam, RMSProp),
chained (``clip_by_global_norm`` then ``sgd``), step-dependent (schedules that
read the step count in ``opt_state``), accumulating (``optax.MultiSteps``, whose
own step counts differ from the TrainState's: ``step`` counts every
``apply_gradients`` call, as Flax's does) and params-dependent transformations
(``adamw`` reads ``params`` in ``update``; schedule-free SGD copies the params
into its state at ``init``, so an ``opt_state`` initialised from anything but
the params shows).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import optax

from conformance.strategies.printing import ShownByRepr

LEARNING_RATES: tuple[float, ...] = (0.1, 0.01, 0.001, 0.5)


@dataclass(frozen=True)
class Entry:
    """A named Optax builder: ``code`` formats the expression, ``build`` makes it."""

    build: Callable[..., optax.GradientTransformation]
    code: Callable[..., str]
    pools: dict[str, tuple[Any, ...]]
    note: str


def _kw(hp: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in hp.items())


CATALOGUE: dict[str, Entry] = {
    "sgd": Entry(
        build=lambda **hp: optax.sgd(**hp),
        code=lambda **hp: f"optax.sgd({_kw(hp)})",
        pools={"learning_rate": LEARNING_RATES},
        note="stateless",
    ),
    "sgd_momentum": Entry(
        build=lambda **hp: optax.sgd(**hp),
        code=lambda **hp: f"optax.sgd({_kw(hp)})",
        pools={"learning_rate": LEARNING_RATES, "momentum": (0.9, 0.5)},
        note="a trace in opt_state",
    ),
    "sgd_nesterov": Entry(
        build=lambda **hp: optax.sgd(**hp, nesterov=True),
        code=lambda **hp: f"optax.sgd({_kw(hp)}, nesterov=True)",
        pools={"learning_rate": LEARNING_RATES, "momentum": (0.9, 0.5)},
        note="a trace in opt_state",
    ),
    "adam": Entry(
        build=lambda **hp: optax.adam(**hp),
        code=lambda **hp: f"optax.adam({_kw(hp)})",
        pools={
            "learning_rate": LEARNING_RATES,
            "b1": (0.9, 0.5),
            "b2": (0.999, 0.9),
            "eps": (1e-8, 1e-3),
        },
        note="moments and a step count in opt_state",
    ),
    "adamw": Entry(
        build=lambda **hp: optax.adamw(**hp),
        code=lambda **hp: f"optax.adamw({_kw(hp)})",
        pools={"learning_rate": LEARNING_RATES, "weight_decay": (1e-4, 0.1)},
        note="update reads params (weight decay)",
    ),
    "rmsprop": Entry(
        build=lambda **hp: optax.rmsprop(**hp),
        code=lambda **hp: f"optax.rmsprop({_kw(hp)})",
        pools={"learning_rate": LEARNING_RATES, "decay": (0.9, 0.5), "centered": (False, True)},
        note="a second-moment trace in opt_state",
    ),
    "clip_then_sgd": Entry(
        build=lambda max_norm, learning_rate: optax.chain(
            optax.clip_by_global_norm(max_norm), optax.sgd(learning_rate)
        ),
        code=lambda max_norm, learning_rate: (
            f"optax.chain(optax.clip_by_global_norm({max_norm!r}), "
            f"optax.sgd(learning_rate={learning_rate!r}))"
        ),
        pools={"max_norm": (1.0, 0.1, 10.0), "learning_rate": LEARNING_RATES},
        note="a chain; clipping couples all leaves",
    ),
    "sgd_exponential_decay": Entry(
        build=lambda learning_rate, decay_rate: optax.sgd(
            optax.exponential_decay(
                init_value=learning_rate, transition_steps=1, decay_rate=decay_rate
            )
        ),
        code=lambda learning_rate, decay_rate: (
            f"optax.sgd(optax.exponential_decay(init_value={learning_rate!r}, "
            f"transition_steps=1, decay_rate={decay_rate!r}))"
        ),
        pools={"learning_rate": LEARNING_RATES, "decay_rate": (0.5, 0.9)},
        note="learning rate depends on the step count in opt_state",
    ),
    "adam_linear_schedule": Entry(
        build=lambda learning_rate: optax.adam(
            optax.linear_schedule(
                init_value=learning_rate, end_value=learning_rate / 10, transition_steps=3
            )
        ),
        code=lambda learning_rate: (
            f"optax.adam(optax.linear_schedule(init_value={learning_rate!r}, "
            f"end_value={learning_rate / 10!r}, transition_steps=3))"
        ),
        pools={"learning_rate": LEARNING_RATES},
        note="learning rate depends on the step count in opt_state",
    ),
    "multi_steps_sgd": Entry(
        build=lambda learning_rate, every_k_schedule: optax.MultiSteps(
            optax.sgd(learning_rate), every_k_schedule=every_k_schedule
        ),
        code=lambda learning_rate, every_k_schedule: (
            f"optax.MultiSteps(optax.sgd(learning_rate={learning_rate!r}), "
            f"every_k_schedule={every_k_schedule!r})"
        ),
        pools={"learning_rate": LEARNING_RATES, "every_k_schedule": (2, 3)},
        note="gradient accumulation: opt_state counts its own steps, params move every k-th",
    ),
    "schedule_free_sgd": Entry(
        build=lambda **hp: optax.contrib.schedule_free_sgd(**hp),
        code=lambda **hp: f"optax.contrib.schedule_free_sgd({_kw(hp)})",
        pools={"learning_rate": LEARNING_RATES, "b1": (0.9, 0.5)},
        note="init copies the params into opt_state",
    ),
}

OPTIMIZER_NAMES: tuple[str, ...] = tuple(CATALOGUE)

PINNED_ONLY: tuple[str, ...] = ("multi_steps_sgd",)
"""Entries no strategy draws unless a property names them: ``optax.MultiSteps`` runs a
``lax.cond`` in every update, a program compiled per params structure when run eagerly, and
what it exposes (a ``step`` taken from its own counters) is the step property's, which pins
it."""
DRAWN_OPTIMIZER_NAMES: tuple[str, ...] = tuple(
    name for name in OPTIMIZER_NAMES if name not in PINNED_ONLY
)

JIT_OPTIMIZER_NAMES: tuple[str, ...] = (
    "sgd",
    "sgd_momentum",
    "adam",
    "clip_then_sgd",
    "sgd_exponential_decay",
    "schedule_free_sgd",
)
"""A subset for the properties that compile: every kind of opt_state, fewer compiles."""


@functools.cache
def build(name: str, hyperparams: tuple[tuple[str, Any], ...]) -> optax.GradientTransformation:
    """The transformation, one object per ``(name, hyperparams)`` (see the module docstring)."""
    return CATALOGUE[name].build(**dict(hyperparams))


@dataclass(frozen=True)
class OptimizerCase(ShownByRepr):
    """A catalogue entry with its hyper-parameters; ``repr`` is the Optax expression."""

    name: str
    hyperparams: tuple[tuple[str, Any], ...]

    @property
    def tx(self) -> optax.GradientTransformation:
        return build(self.name, self.hyperparams)

    def fresh_tx(self) -> optax.GradientTransformation:
        """An equal transformation as a new object (for properties about identity)."""
        return CATALOGUE[self.name].build(**dict(self.hyperparams))

    @property
    def code(self) -> str:
        return CATALOGUE[self.name].code(**dict(self.hyperparams))

    @classmethod
    def of(cls, code: str) -> OptimizerCase:
        """The case that prints as ``code``, an Optax expression of the catalogue's:
        ``OptimizerCase.of("optax.sgd(learning_rate=0.1)")``."""
        found = _by_code().get(code)
        if found is None:
            raise ValueError(f"no optimizer of the catalogue is built by {code!r}")
        return found

    def __repr__(self) -> str:
        return f"OptimizerCase.of({self.code!r})"

    def __str__(self) -> str:
        return self.code


@functools.cache
def _by_code() -> dict[str, OptimizerCase]:
    # The pools are small (about a hundred cases in all), so each expression is looked up.
    cases = [
        OptimizerCase(name, tuple(zip(entry.pools, values, strict=True)))
        for name, entry in CATALOGUE.items()
        for values in itertools.product(*entry.pools.values())
    ]
    return {case.code: case for case in cases}
