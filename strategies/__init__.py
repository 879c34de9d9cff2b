"""Hypothesis strategies of the suite, for its properties and for your own tests.

The public ones, keyword-only where Hypothesis's own are and checked when
they are built (``hypothesis.errors.InvalidArgument``):

- :func:`problems`: a whole input of ``one_step``, as a :class:`Problem`
  (shape, data with structure, seed, learning rate placed against the data's
  descent threshold);
- :func:`seeds`: seeds whose ``int()`` lies in the int32 range, in every form a
  caller could pass;
- :func:`optimizers`: a catalogue of named Optax transformations, each drawn
  case printing as the expression that rebuilds it (:class:`OptimizerCase`);
- :func:`params`, :func:`trees`, :func:`grads`, :func:`grad_sequences`,
  :func:`mismatched_grads`: parameter pytrees, and gradients that match them
  or do not;
- :func:`update_counts`: how many ``apply_gradients`` calls a sequence makes;
- :func:`train_state_cases`: a whole TrainState case (optimizer, params, the
  gradients of ``k`` calls), as a :class:`TrainStateCase`.

Each TrainState case (:class:`TrainStateCase` and its parts, :class:`ExtraValues`,
:class:`DenseProblem`) prints as the code that rebuilds it bit for bit, so a
falsifying example can be pasted into a test of your own beside
``printing.REBUILD_IMPORTS`` (NumPy, ``jax.numpy``, ``FrozenDict`` and ``from
conformance.strategies import *``).

The modules behind them: ``shapes`` (a bounded pool reaching every edge
shape), ``seeds``, ``data``, ``learning_rates``, ``problems``, ``edge_cases``
(the edge inputs every one-step property pins), ``sequences`` (call
sequences), ``tree_specs`` (params structures), ``pytrees`` (trees with
values), ``mismatched_grads``, ``optax_catalogue``, ``optimizers``,
``train_state_cases`` (whole TrainState cases and their pins) and
``printing``.
"""

from conformance.isolation.trees import params_namedtuple
from conformance.strategies.learning_rates import LR_KINDS
from conformance.strategies.mismatched_grads import MismatchCase, mismatched_grads
from conformance.strategies.optax_catalogue import OPTIMIZER_NAMES, OptimizerCase
from conformance.strategies.optimizers import optimizers, update_counts
from conformance.strategies.problems import Problem, problems
from conformance.strategies.pytrees import (
    GradSequence,
    TreeCase,
    grad_sequences,
    grads,
    params,
    trees,
)
from conformance.strategies.seeds import seeds
from conformance.strategies.shapes import D_POOL, N_POOL, SHAPE_POOL
from conformance.strategies.train_state_cases import (
    DenseProblem,
    ExtraValues,
    TrainStateCase,
    train_state_cases,
)
from conformance.strategies.tree_specs import TreeSpec

__all__ = [
    "D_POOL",
    "LR_KINDS",
    "N_POOL",
    "OPTIMIZER_NAMES",
    "SHAPE_POOL",
    "DenseProblem",
    "ExtraValues",
    "GradSequence",
    "MismatchCase",
    "OptimizerCase",
    "Problem",
    "TrainStateCase",
    "TreeCase",
    "TreeSpec",
    "grad_sequences",
    "grads",
    "mismatched_grads",
    "optimizers",
    "params",
    "params_namedtuple",
    "problems",
    "seeds",
    "train_state_cases",
    "trees",
    "update_counts",
]
