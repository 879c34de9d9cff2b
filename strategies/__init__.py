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
- :func:`update_counts`: how many ``apply_gradients`` calls a sequence makes.

The modules behind them: ``shapes`` (a bounded pool reaching every edge
shape), ``seeds``, ``data``, ``learning_rates``, ``problems``, ``edge_cases``
(the edge inputs every one-step property pins), ``pytrees``,
``optax_catalogue`` and ``optimizers``.
"""

from conformance.strategies.learning_rates import LR_KINDS
from conformance.strategies.optax_catalogue import OPTIMIZER_NAMES, OptimizerCase
from conformance.strategies.optimizers import optimizers, update_counts
from conformance.strategies.problems import Problem, problems
from conformance.strategies.pytrees import (
    GradSequence,
    MismatchCase,
    TreeCase,
    TreeSpec,
    grad_sequences,
    grads,
    mismatched_grads,
    params,
    trees,
)
from conformance.strategies.seeds import seeds
from conformance.strategies.shapes import D_POOL, N_POOL

__all__ = [
    "D_POOL",
    "LR_KINDS",
    "N_POOL",
    "OPTIMIZER_NAMES",
    "GradSequence",
    "MismatchCase",
    "OptimizerCase",
    "Problem",
    "TreeCase",
    "TreeSpec",
    "grad_sequences",
    "grads",
    "mismatched_grads",
    "optimizers",
    "params",
    "problems",
    "seeds",
    "trees",
    "update_counts",
]
