"""Property 7: the seed is cast with ``int()`` and selects the initialisation."""

from __future__ import annotations

import numpy as np
from hypothesis import reject
from hypothesis import strategies as st

from conformance.isolation.implementations import Implementation
from conformance.properties.blocked import not_judged
from conformance.properties.calling import call
from conformance.properties.expected import expected
from conformance.properties.skeleton import one_step_property
from conformance.strategies.edge_cases import edge_pins, edge_problems
from conformance.strategies.printing import value_code
from conformance.strategies.problems import Problem, problems
from conformance.strategies.seeds import SEED_FORMS, fractions, int32_seeds, spell


@one_step_property(
    pins=edge_pins("small", alias_form="fractional float", alias_fraction=0.25),
    problem=problems(),
    alias_form=st.sampled_from(SEED_FORMS),
    alias_fraction=fractions,
)
def test_seeds_with_same_int_are_identical(
    impl: Implementation, problem: Problem, alias_form: str, alias_fraction: float
) -> None:
    base = int(problem.seed)  # type: ignore[call-overload]
    alias = spell(base, alias_form, alias_fraction)
    aliased = problem.replace(seed=alias)
    first = call(impl, problem)
    second = call(impl, aliased)
    assert np.array_equal(first.values, second.values, equal_nan=True), (
        f"seed={value_code(problem.seed)} gives {first.values.tolist()} but "
        f"seed={value_code(alias)} gives {second.values.tolist()}; both have int(seed) == "
        f"{base}, and the seed is cast with int() (truncation toward zero) {problem.label()}"
    )


@one_step_property(
    # CPython hashes -1 as -2: a memo keyed by hash(seed) gives both seeds one entry.
    pins=[{"problem": p, "other_seed": -2} for p in edge_problems("zero") if p.seed == -1],
    problem=problems(lr_kinds=("zero",)),
    other_seed=int32_seeds,
)
def test_different_seeds_give_different_inits(
    impl: Implementation, problem: Problem, other_seed: int
) -> None:
    if other_seed == int(problem.seed):  # type: ignore[call-overload]
        reject()
    other = problem.replace(seed=other_seed)
    mine, theirs = expected(problem), expected(other)
    distinct_by = abs(mine.loss_before - theirs.loss_before)
    if distinct_by <= 2 * (mine.loss_before_tolerance + theirs.loss_before_tolerance):
        not_judged("both seeds give the same initial loss within rounding: not checked")
        return
    first = call(impl, problem)
    second = call(impl, other)
    assert first.loss != second.loss, (
        f"seeds {value_code(problem.seed)} and {value_code(other_seed)} both give the initial loss "
        f"{first.loss!r} (lr=0), but the canonical initial losses differ "
        f"({mine.loss_before!r} vs {theirs.loss_before!r}): the seed does not select the "
        f"initialisation {problem.label()}"
    )
