"""Everything a TrainState property module uses, under one name.

A property module imports ``from conformance.properties import train_state as ts``
and reads ``@ts.property(case=ts.cases(...), pins=ts.pins())``, ``ts.observe(ctx, ...)``,
in the way array-api-tests' properties use ``hypothesis_helpers as hh``: its
imports then say only that it is a TrainState property, and what it draws and
checks is spelled where it is used.
"""

from conformance.isolation.descriptions import (
    CANONICAL_FIELDS,
    NOT_A_FIELD,
    PYTREE_FIELDS,
    REJECTED_KEYWORDS,
    STATIC_FIELDS,
)
from conformance.isolation.implementations import Implementation
from conformance.isolation.trees import expected_tree
from conformance.properties.blocked import Blocked
from conformance.properties.not_applicable import DoesNotApply
from conformance.properties.observed_checks import check_each, check_raised, check_unchanged
from conformance.properties.observing import (
    Context,
    Tree,
    exception_text,
    leaf,
    observe,
    raised_a,
    train_state_class,
    tree,
)
from conformance.properties.optax_loop import expected_loop
from conformance.properties.skeleton import train_state_property as property
from conformance.properties.step_checks import (
    check_step,
    counted_from,
    counted_like,
    is_integral,
)
from conformance.properties.tree_comparison import (
    NON_FINITE_MISMATCH,
    bitwise_difference,
    close_difference,
    same_value,
)
from conformance.strategies.optimizers import update_counts
from conformance.strategies.train_state_cases import (
    EDGE_EXTRA_VALUES,
    ExtraValues,
    extra_values,
)
from conformance.strategies.train_state_cases import TrainStateCase as Case
from conformance.strategies.train_state_cases import train_state_cases as cases
from conformance.strategies.train_state_cases import train_state_pins as pins

__all__ = [
    "CANONICAL_FIELDS",
    "EDGE_EXTRA_VALUES",
    "NON_FINITE_MISMATCH",
    "NOT_A_FIELD",
    "PYTREE_FIELDS",
    "REJECTED_KEYWORDS",
    "STATIC_FIELDS",
    "Blocked",
    "Case",
    "Context",
    "DoesNotApply",
    "ExtraValues",
    "Implementation",
    "Tree",
    "bitwise_difference",
    "cases",
    "check_each",
    "check_raised",
    "check_step",
    "check_unchanged",
    "close_difference",
    "counted_from",
    "counted_like",
    "exception_text",
    "expected_loop",
    "expected_tree",
    "extra_values",
    "is_integral",
    "leaf",
    "observe",
    "pins",
    "property",
    "raised_a",
    "same_value",
    "train_state_class",
    "tree",
    "update_counts",
]
