"""Every drawn TrainState case prints as the code that rebuilds it, bit for bit.

Hypothesis prints a falsifying example as the ``repr`` of each argument; pasted
beside :data:`~conformance.strategies.printing.REBUILD_IMPORTS`, it must give
back the same case: equal, with the same containers in the same key order, the
same array types, dtypes, shapes and bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax.core import FrozenDict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.strategies import OPTIMIZER_NAMES, OptimizerCase, TrainStateCase, TreeSpec
from conformance.strategies.optax_catalogue import CATALOGUE
from conformance.strategies.optimizers import update_counts
from conformance.strategies.printing import REBUILD_IMPORTS, array_code, tree_code
from conformance.strategies.train_state_cases import (
    EDGE_DENSE_PROBLEMS,
    EDGE_EXTRA_VALUES,
    dense_problems,
    extra_values,
    train_state_cases,
    train_state_pins,
)
from conformance.strategies.tree_specs import FLAX_MODULES, SPEC_POOL, flax_module_spec

META = settings(deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow])


def _rebuilt(value: object) -> Any:
    scope: dict[str, Any] = {}
    exec(REBUILD_IMPORTS, scope)
    return eval(repr(value), scope)


def _layout(node: Any) -> Any:
    """Containers with their types and key order; leaves as type, dtype, shape and bytes."""
    if isinstance(node, FrozenDict | dict):
        return (type(node).__name__, [(k, _layout(v)) for k, v in node.items()])
    if isinstance(node, list | tuple):
        return (type(node).__name__, [_layout(v) for v in node])
    if isinstance(node, jax.Array | np.ndarray | np.generic):
        arr = np.asarray(node)
        return (type(node).__name__, arr.dtype.str, arr.shape, arr.tobytes())
    return node


def _case_layout(case: TrainStateCase) -> Any:
    other = case.other.tree if case.other is not None else None
    mismatch = case.mismatch.tree if case.mismatch is not None else None
    return _layout([case.params.tree, list(case.grads.trees), other, mismatch])


def _check_case(case: TrainStateCase) -> None:
    rebuilt = _rebuilt(case)
    assert rebuilt == case, f"{rebuilt!r} != {case!r}"
    assert _case_layout(rebuilt) == _case_layout(case), f"{case!r} rebuilds other bytes"


@META
@given(case=train_state_cases(k=update_counts(), other=True, mismatch=True))
def test_a_drawn_train_state_case_rebuilds_from_its_repr(case: TrainStateCase) -> None:
    _check_case(case)


@pytest.mark.parametrize(
    "case", [pin["case"] for pin in train_state_pins((0, 5), other=True, mismatch=True)], ids=str
)
def test_a_pinned_train_state_case_rebuilds_from_its_repr(case: TrainStateCase) -> None:
    _check_case(case)


@META
@given(values=extra_values())
def test_extra_field_values_rebuild_from_their_repr(values: Any) -> None:
    for case in (values, EDGE_EXTRA_VALUES):
        rebuilt = _rebuilt(case)
        assert rebuilt == case
        assert _layout(rebuilt.arrays) == _layout(case.arrays)


@META
@given(problem=dense_problems())
def test_a_dense_problem_rebuilds_from_its_repr(problem: Any) -> None:
    for case in (problem, *(pin["problem"] for pin in EDGE_DENSE_PROBLEMS)):
        rebuilt = _rebuilt(case)
        assert rebuilt == case
        assert _layout([rebuilt.x, rebuilt.y]) == _layout([case.x, case.y])


@pytest.mark.parametrize("spec", [*SPEC_POOL, *map(flax_module_spec, FLAX_MODULES)], ids=str)
def test_a_tree_spec_rebuilds_from_its_repr(spec: TreeSpec) -> None:
    for each in (spec, spec.with_frozen(True)):
        assert _rebuilt(each) == each


def test_every_catalogue_expression_names_one_case() -> None:
    seen = {}
    for name in OPTIMIZER_NAMES:
        entry = CATALOGUE[name]
        case = OptimizerCase(name, tuple((key, pool[-1]) for key, pool in entry.pools.items()))
        assert OptimizerCase.of(case.code) == case
        assert _rebuilt(case) == case
        seen[case.code] = name
    assert len(seen) == len(OPTIMIZER_NAMES), "two catalogue entries print alike"
    with pytest.raises(ValueError, match="no optimizer of the catalogue"):
        OptimizerCase.of("optax.sgd(learning_rate=0.2)")


@META
@given(
    values=st.lists(st.floats(width=32), min_size=1, max_size=6),
    as_jax=st.booleans(),
)
def test_array_code_rebuilds_every_float32_bit_for_bit(values: list[float], as_jax: bool) -> None:
    arr = jnp.asarray(values, jnp.float32) if as_jax else np.asarray(values, np.float32)
    code = array_code(arr)
    back = eval(code, {"np": np, "jnp": jnp})
    assert _layout(back) == _layout(arr), code


@pytest.mark.parametrize(
    ("value", "form"),
    [
        (np.array([np.nan, -np.inf], np.float32), "bytes.fromhex"),
        (np.zeros((0, 3), np.float32), "bytes.fromhex"),
        (jnp.array(-0.0, jnp.float32), "jnp.array(-0.0, jnp.float32)"),
        (np.float32(0.1), "np.float32(0.1)"),
        (np.float32(np.nan), "bytes.fromhex"),
        (np.array([1, 2], np.int32), "np.array([1, 2], np.int32)"),
        (np.linspace(-1, 1, 1025, dtype=np.float32).reshape(25, 41), "bytes.fromhex"),
    ],
    ids=[
        "non-finite",
        "empty",
        "negative zero",
        "NumPy scalar",
        "NumPy NaN scalar",
        "int32",
        "past the digits limit",
    ],
)
def test_array_code_forms(value: Any, form: str) -> None:
    code = array_code(value)
    assert form in code
    assert _layout(eval(code, {"np": np, "jnp": jnp})) == _layout(value)


def test_tree_code_keeps_containers_and_key_order() -> None:
    tree = {
        "b": [np.float32(1.0), FrozenDict({"q": 1})],
        "a": (jnp.ones(2),),
        "c": FrozenDict({"z": {"y": jnp.zeros(())}, "l": [{"p": 0}, FrozenDict({"o": 2})]}),
    }
    code = tree_code(tree)
    assert _layout(eval(code, {"np": np, "jnp": jnp, "FrozenDict": FrozenDict})) == _layout(tree)


def test_the_readme_shows_a_pinned_case_as_it_prints(repo: Path) -> None:
    first_pin = train_state_pins((1,))[0]["case"]
    assert repr(first_pin) in (repo / "README.md").read_text()
