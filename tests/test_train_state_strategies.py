"""Meta tests of the TrainState strategies, helpers and recipe.

The TrainState properties are only as good as their inputs: matching gradients
must match, mismatched ones must mismatch (and make Flax raise), every
catalogue optimizer must build and print as code that rebuilds it, and the
comparison helpers must tell rounding from a wrong update.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Callable, Mapping
from typing import Any, Optional

import flax
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from flax.core import FrozenDict
from flax.training.train_state import TrainState
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.isolation.descriptions import class_name
from conformance.isolation.service import Service
from conformance.isolation.trees import expected_tree
from conformance.properties.extra_fields import (
    FieldValues,
    annotation_text,
    choose,
    describe_class,
    extra_fields,
    near_miss_hook,
    stand_in_function,
)
from conformance.properties.optax_loop import Trajectory, optax_loop, trajectory_scales
from conformance.properties.step_checks import step_problem
from conformance.properties.train_state_scenarios import apply_fn_a
from conformance.properties.tree_comparison import bitwise_difference, close_difference
from conformance.reference.flax_step import one_step as reference_one_step
from conformance.reference.recipe import one_step_from_train_state
from conformance.strategies.mismatched_grads import MISMATCH_KINDS, mismatched_grads
from conformance.strategies.optax_catalogue import CATALOGUE, OPTIMIZER_NAMES, OptimizerCase, build
from conformance.strategies.optimizers import optimizers
from conformance.strategies.pytrees import GRAD_BOUND, PARAM_BOUND, grad_sequences, params
from conformance.strategies.train_state_cases import LINEN_DENSE_SPEC
from conformance.strategies.tree_specs import (
    FLAX_MODULES,
    JIT_SPECS,
    LEAF_SHAPES,
    SPEC_POOL,
    flax_module_params,
    flax_module_spec,
    param_specs,
    spec_of,
)

META = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
TINY = float(np.finfo(np.float32).tiny)


def _leaves(tree):
    return [np.asarray(leaf) for leaf in jax.tree_util.tree_leaves(tree)]


# --------------------------------------------------------------------------- pytrees


@pytest.mark.parametrize("spec", SPEC_POOL + JIT_SPECS, ids=str)
def test_pool_specs_are_small_and_use_pooled_shapes(spec) -> None:
    paths = spec.leaf_paths()
    assert 1 <= len(paths) <= 4
    assert all(shape in LEAF_SHAPES for _, shape in paths)
    assert all(len(path) <= 2 for path, _ in paths)


@pytest.mark.parametrize("name", FLAX_MODULES)
def test_flax_module_specs_match_their_init(name) -> None:
    spec = flax_module_spec(name)
    tree = flax_module_params(name, 0)
    assert spec_of(tree, origin=name) == spec
    assert all(shape in LEAF_SHAPES for _, shape in spec.leaf_paths()), (
        "Flax module shapes must come from LEAF_SHAPES, so they add no compiles"
    )
    assert jax.tree_util.tree_structure(
        spec.build([np.zeros(s) for _, s in spec.leaf_paths()])
    ) == (jax.tree_util.tree_structure(tree))


def test_the_pinned_linen_dense_structure_is_linen_s_own() -> None:
    """The pins write it out instead of running an init; the init must agree, key order too."""
    assert flax_module_spec(LINEN_DENSE_SPEC.origin) == LINEN_DENSE_SPEC


@META
@given(data=st.data())
def test_params_and_matching_grads_share_structure_shapes_and_bounds(data) -> None:
    p = data.draw(params(), label="params")
    k = data.draw(st.integers(1, 3), label="k")
    seq = data.draw(grad_sequences(p.spec, k), label="grads")
    assert seq.k == k
    p_leaves, p_def = jax.tree_util.tree_flatten(p.tree)
    assert isinstance(p.tree, FrozenDict) == p.spec.frozen
    assert [leaf.shape for leaf in p_leaves] == [shape for _, shape in p.spec.leaf_paths()]
    for leaf in p_leaves:
        assert leaf.dtype == jnp.float32
        assert np.all(np.isfinite(leaf))
        if p.values == "drawn":
            assert np.all(np.abs(leaf) <= PARAM_BOUND)
    for g in seq.trees:
        g_leaves, g_def = jax.tree_util.tree_flatten(g)
        assert g_def == p_def
        for gl, pl in zip(g_leaves, p_leaves, strict=True):
            arr = np.asarray(gl)
            assert arr.shape == pl.shape and arr.dtype == np.float32
            assert np.all(np.isfinite(arr)) and np.all(np.abs(arr) <= GRAD_BOUND)
            assert not np.any((arr != 0) & (np.abs(arr) < TINY)), "no subnormals"


@META
@given(data=st.data())
def test_mismatched_grads_really_mismatch_and_flax_raises(data) -> None:
    p = data.draw(params(), label="params")
    bad = data.draw(mismatched_grads(p.spec), label="mismatched grads")
    assert bad.kind in MISMATCH_KINDS
    assert jax.tree_util.tree_structure(bad.tree) != jax.tree_util.tree_structure(p.tree), bad
    for leaf in jax.tree_util.tree_leaves(bad.tree):
        assert np.all(np.isfinite(np.asarray(leaf)))
    opt = data.draw(optimizers(), label="tx")
    state = TrainState.create(apply_fn=apply_fn_a, params=p.tree, tx=opt.tx)
    with pytest.raises((ValueError, TypeError)):
        state.apply_gradients(grads=bad.tree)


def test_every_mismatch_kind_is_reachable() -> None:
    seen: set[str] = set()

    @settings(deadline=None, max_examples=300, database=None, derandomize=True)
    @given(data=st.data())
    def collect(data) -> None:
        spec = data.draw(param_specs())
        seen.add(data.draw(mismatched_grads(spec)).kind)

    collect()
    assert seen == set(MISMATCH_KINDS)


# --------------------------------------------------------------------------- optimizers


def _first_hyperparams(name: str) -> tuple:
    return tuple((key, pool[0]) for key, pool in CATALOGUE[name].pools.items())


@pytest.mark.parametrize("name", OPTIMIZER_NAMES)
def test_catalogue_entry_builds_caches_and_prints_as_its_code(name) -> None:
    case = OptimizerCase(name, _first_hyperparams(name))
    assert case.tx is build(name, case.hyperparams), "one object per (name, hyperparams)"
    assert case.fresh_tx() is not case.tx
    rebuilt = eval(str(case), {"optax": optax})
    p = {"a": jnp.arange(3.0), "b": jnp.ones((2, 3))}
    g = jax.tree_util.tree_map(lambda x: 0.5 - x, p)
    ours = optax_loop(case.tx, p, [g, g, g])
    theirs = optax_loop(rebuilt, p, [g, g, g])
    for mine, rebuilt_ones in ((ours.params, theirs.params), (ours.opt_states, theirs.opt_states)):
        assert bitwise_difference(expected_tree(mine[-1]), expected_tree(rebuilt_ones[-1])) is None


def test_catalogue_has_the_required_kinds() -> None:
    required = {
        "sgd",
        "sgd_momentum",
        "sgd_nesterov",
        "adam",
        "adamw",
        "rmsprop",
        "clip_then_sgd",
        "sgd_exponential_decay",
        "adam_linear_schedule",
    }
    assert required <= set(OPTIMIZER_NAMES)


def test_schedule_free_init_reads_param_values() -> None:
    """The catalogue must hold one optimizer whose init depends on param values."""
    tx = OptimizerCase("schedule_free_sgd", _first_hyperparams("schedule_free_sgd")).tx
    p = {"w": jnp.arange(3.0)}
    zeros = jax.tree_util.tree_map(jnp.zeros_like, p)
    assert bitwise_difference(expected_tree(tx.init(p)), expected_tree(tx.init(zeros))) is not None


# --------------------------------------------------------------------------- helpers


def test_close_difference_accepts_rounding_and_rejects_wrong_updates() -> None:
    p = {"w": jnp.array([1.0, -2.0, 3.0], jnp.float32)}
    g = {"w": jnp.array([0.5, 0.25, -1.0], jnp.float32)}
    tx = optax.adam(0.01)
    g2 = {"w": jnp.array([-0.1, 3.0, 0.0], jnp.float32)}
    traj = optax_loop(tx, p, [g, g2])
    p_scale, s_scale = trajectory_scales(traj)
    exact = expected_tree(traj.params[2])
    one_ulp = jax.tree_util.tree_map(lambda x: jnp.nextafter(x, jnp.inf), traj.params[2])
    assert close_difference(exact, exact, p_scale, 2) is None
    assert close_difference(expected_tree(one_ulp), exact, p_scale, 2) is None
    restarted = optax_loop(tx, traj.params[1], [g2]).params[1]  # opt_state re-initialised
    assert close_difference(expected_tree(restarted), exact, p_scale, 2) is not None
    count_off = jax.tree_util.tree_map(
        lambda x: x + 1 if jnp.issubdtype(x.dtype, jnp.integer) else x, traj.opt_states[2]
    )
    message = close_difference(
        expected_tree(count_off), expected_tree(traj.opt_states[2]), s_scale, 2
    )
    assert message is not None and "exactly" in message
    renamed = close_difference(expected_tree({"v": p["w"]}), expected_tree(p), p_scale, 1)
    assert renamed is not None and "structure" in renamed


@pytest.mark.parametrize("dtype", [jnp.float16, jnp.bfloat16], ids=["float16", "bfloat16"])
def test_close_difference_allows_a_unit_of_a_narrow_leafs_own_dtype(dtype) -> None:
    """A jitted update may round a float16 or bfloat16 param at another point: one unit of its
    dtype per update passes (float32 units alone would refuse it), a skipped update fails."""
    p = {"w": jnp.array([0.95, -0.53, -0.105], dtype)}
    g = {"w": jnp.array([0.5, 0.25, -1.0], jnp.float32)}
    tx = optax.sgd(0.1)
    traj = optax_loop(tx, p, [g, g])
    p_scale, _ = trajectory_scales(traj)
    exact = expected_tree(traj.params[2])
    one_unit = jax.tree_util.tree_map(lambda x: jnp.nextafter(x, jnp.inf), traj.params[2])
    assert close_difference(expected_tree(one_unit), exact, p_scale, 2) is None
    skipped = expected_tree(traj.params[1])
    assert close_difference(skipped, exact, p_scale, 2) is not None


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf], ids=["nan", "+inf", "-inf"])
@pytest.mark.parametrize("code", [
    "optax.sgd(learning_rate=0.1)",
    "optax.adam(learning_rate=0.1, b1=0.9, b2=0.999, eps=1e-08)",
    "optax.chain(optax.clip_by_global_norm(1.0), optax.sgd(learning_rate=0.1))",
    "optax.contrib.schedule_free_sgd(learning_rate=0.1, b1=0.9)",
])  # fmt: skip
def test_close_difference_matches_non_finite_values_exactly(code, bad) -> None:
    """A diverging run's NaN must be met by NaN and an inf by the same inf, with no tolerance
    widened by them; the finite rest of the trajectory is judged as before."""
    p = {"w": jnp.array([1.0, -2.0, 3.0], jnp.float32)}
    g = {"w": jnp.array([bad, 0.25, -1.0], jnp.float32)}
    traj = optax_loop(OptimizerCase.of(code).tx, p, [g, {"w": jnp.ones(3, jnp.float32)}])
    p_scale, s_scale = trajectory_scales(traj)
    assert all(np.all(np.isfinite(s)) for s in p_scale + s_scale)
    for i in (1, 2):
        want = traj.params[i]
        assert not np.all(np.isfinite(want["w"])), "the loop itself diverges"
        assert close_difference(expected_tree(want), expected_tree(want), p_scale, i) is None
        state = expected_tree(traj.opt_states[i])
        assert close_difference(state, state, s_scale, i) is None
        # Zeroed, sign-flipped (NaN stays NaN) and not updated at all.
        for wrong in (jnp.nan_to_num(want["w"]), -want["w"], p["w"]):
            if np.array_equal(wrong, want["w"], equal_nan=True):
                continue
            diff = close_difference(expected_tree({"w": wrong}), expected_tree(want), p_scale, i)
            assert diff is not None, (code, bad, i, wrong)


def test_bitwise_difference_sees_sign_of_zero_and_structure() -> None:
    tree = {"a": jnp.zeros(3), "b": 0}
    snap = expected_tree(tree)
    assert bitwise_difference(expected_tree(tree), snap) is None
    assert bitwise_difference(expected_tree({"a": -jnp.zeros(3), "b": 0}), snap) is not None
    assert bitwise_difference(expected_tree({"a": jnp.zeros(3), "b": 0.0}), snap) is not None
    assert bitwise_difference(expected_tree(FrozenDict(tree)), snap) is not None


@pytest.mark.parametrize(
    ("step", "ok"),
    [
        (0, True),
        (np.int64(3), True),
        (jnp.int32(2), True),
        (jnp.array(2, jnp.int32), True),
        (1.0, False),
        (True, False),
        (jnp.float32(1), False),
        (jnp.array([1], jnp.int32), False),
        ("1", False),
        # A counter that wraps within a short run (uint8 after 255 steps).
        (jnp.array(2, jnp.uint8), False),
        (np.int16(2), False),
        (jnp.array(2, jnp.uint32), True),
    ],
)
def test_step_problem(step, ok) -> None:
    (leaf,) = expected_tree(step).leaves
    assert (step_problem(leaf) is None) == ok


def test_extra_fields_and_type_names() -> None:
    @dataclasses.dataclass(frozen=True)
    class WithExtra:
        step: int
        apply_fn: object
        params: object
        tx: object
        opt_state: object
        batch_stats: int = 0

    described = describe_class(WithExtra)
    assert described["dataclass"]
    assert described["extra_fields"] == [
        {
            "name": "batch_stats",
            "annotation": "int",
            "static": False,
            "required": False,
            "default": {"kind": "int", "value": 0},
            "value": "its default",
        }
    ]
    assert describe_class(TrainState)["extra_fields"] == []
    assert not describe_class(int)["dataclass"]
    assert class_name(TrainState) == "flax.training.train_state.TrainState"


class _EmaFilledByCreate(TrainState):
    ema_params: object
    count: int

    @classmethod
    def create(cls, *, apply_fn, params, tx, **kwargs):  # type: ignore[no-untyped-def, override]
        opt_state = tx.init(params)
        return cls(step=0, apply_fn=apply_fn, params=params, tx=tx, opt_state=opt_state,
                   ema_params=params, **kwargs)  # fmt: skip


def test_fields_the_class_create_fills_itself_get_no_value() -> None:
    """``ema_params`` is filled by the class's own create; passing it too raises "got multiple
    values", so it is left out, and the report says why. ``count`` still gets the suite's
    value, and a field the module's hook names is never left out."""
    values = FieldValues(_EmaFilledByCreate, None)
    values.settle(_EmaFilledByCreate)
    assert values.set_by_create == {"ema_params": "got multiple values"}
    params = {"w": jnp.zeros(2)}
    assert set(values.for_params(params)) == {"count"}
    state = _EmaFilledByCreate.create(
        apply_fn=apply_fn_a, params=params, tx=optax.sgd(0.1), **values.for_params(params)
    )
    assert state.ema_params is params
    (ema,) = (f for f in describe_class(_EmaFilledByCreate, values)["extra_fields"]
              if f["name"] == "ema_params")  # fmt: skip
    assert ema["value"].startswith("none: the class's own create fills it")

    hooked = FieldValues(_EmaFilledByCreate, lambda p: {"ema_params": p})
    hooked.settle(_EmaFilledByCreate)
    assert hooked.set_by_create == {}


class _EmaClosedCreate(TrainState):
    ema_params: object
    ema_decay: float = flax.struct.field(pytree_node=False)

    @classmethod
    def create(cls, *, apply_fn, params, tx, ema_decay):  # type: ignore[no-untyped-def, override]
        opt_state = tx.init(params)
        return cls(step=0, apply_fn=apply_fn, params=params, tx=tx, opt_state=opt_state,
                   ema_params=params, ema_decay=ema_decay)  # fmt: skip


def test_a_field_a_closed_create_fills_gets_no_value() -> None:
    """A ``create`` without ``**kwargs`` that fills ``ema_params`` itself rejects it as an
    unexpected keyword: the field is left out, as for a create that takes ``**kwargs``, and
    the report words it as the class raised it."""
    values = FieldValues(_EmaClosedCreate, None)
    values.settle(_EmaClosedCreate)
    assert values.set_by_create == {"ema_params": "got an unexpected keyword argument"}
    params = {"w": jnp.zeros(2)}
    assert set(values.for_params(params)) == {"ema_decay"}
    (ema,) = (f for f in describe_class(_EmaClosedCreate, values)["extra_fields"]
              if f["name"] == "ema_params")  # fmt: skip
    assert ema["value"] == (
        "none: the class's own create fills it (passing a value raises "
        "'got an unexpected keyword argument')"
    )


def _module_with(**functions: object) -> types.ModuleType:
    """A module ``submission`` binding ``functions``; the test's own functions are written
    as if in it, others (Optax's) keep their module, as an import would."""
    module = types.ModuleType("submission")
    for name, value in functions.items():
        if isinstance(value, types.FunctionType) and value.__module__ == __name__:
            value.__module__ = module.__name__
        setattr(module, name, value)
    return module


def test_a_misspelled_fields_hook_is_named_in_the_values_description() -> None:
    """The suite calls ``trainstate_fields`` by that name only; a module's
    ``train_state_fields`` is never called, and the description of each value says so."""

    def train_state_fields(params: object) -> dict[str, object]:
        return {"count": 1}

    def trainstate_fields(params: object) -> dict[str, object]:
        return {"count": 1}

    def train_step(params: object) -> None:
        return None

    assert (
        near_miss_hook(_module_with(train_state_fields=train_state_fields)) == "train_state_fields"
    )
    assert near_miss_hook(_module_with(trainstate_field=train_state_fields)) == "trainstate_field"
    assert near_miss_hook(_module_with(trainstate_fields=trainstate_fields)) is None
    assert near_miss_hook(_module_with(train_step=train_step)) is None
    # Imported functions are not the module's own guesses at the name.
    assert near_miss_hook(_module_with(train_state_fields=optax.sgd)) is None

    values = FieldValues(_EmaFilledByCreate, None, "train_state_fields")
    (count,) = (f for f in describe_class(_EmaFilledByCreate, values)["extra_fields"]
                if f["name"] == "count")  # fmt: skip
    assert count["value"].startswith(
        "not the module's train_state_fields(), which the suite does not call (the function it "
        "calls is named trainstate_fields), but the suite's choice: "
    )
    assert (
        describe_class(_EmaFilledByCreate, values)["fields_hook_near_miss"] == "train_state_fields"
    )


class _CountsAsStrings(TrainState):
    # This module is written with ``from __future__ import annotations``: each annotation
    # here is a string, and Flax's own base class has some that do not resolve.
    epoch: int
    lr_scale: float
    batch_stats: Any
    num_classes: int = flax.struct.field(pytree_node=False, default=10)

    @classmethod
    def create(cls, *, apply_fn, params, tx, tag: str, **kwargs):  # type: ignore[no-untyped-def, override]
        return super().create(apply_fn=apply_fn, params=params, tx=tx, **kwargs)


def test_string_annotations_are_read_as_the_types_they_name() -> None:
    chosen = {f.name: choose(f, {"w": jnp.zeros(2)})[0] for f in extra_fields(_CountsAsStrings)}
    assert chosen["epoch"] == 1001 and chosen["lr_scale"] == 0.5 and chosen["tag"] == "x"
    assert isinstance(chosen["batch_stats"], dict)
    (num_classes,) = (f for f in extra_fields(_CountsAsStrings) if f.name == "num_classes")
    assert num_classes.static and num_classes.annotation is int


class _TreeTypedFields(TrainState):
    # ``optax.Params`` is a Union that names jax.Array beside Mapping and Iterable.
    ema_params: optax.Params
    batch_stats: optax.Params
    key: jax.Array
    rngs: dict[str, jax.Array]


def test_a_union_that_admits_containers_is_a_tree_not_an_array() -> None:
    """EMA and target params are commonly ``optax.Params``: a copy of params, not a PRNG key,
    which the class's update would combine with params and fail on."""
    params = {"w": jnp.ones(2), "b": jnp.zeros(())}
    chosen = {f.name: choose(f, params)[0] for f in extra_fields(_TreeTypedFields)}
    assert jax.tree_util.tree_structure(chosen["ema_params"]) == jax.tree_util.tree_structure(
        params
    )
    assert chosen["batch_stats"] == {"extra": chosen["batch_stats"]["extra"]}
    assert chosen["key"].dtype == jnp.uint32 and chosen["key"].shape == (2,)
    assert isinstance(chosen["rngs"], dict)


class _ParamsNamedFields(TrainState):
    ema_params: Mapping[str, Any]
    opt_params: FrozenDict[str, Any]
    hparams: dict[str, Any]


def test_a_params_named_field_copies_the_params_container_unless_it_names_settings() -> None:
    """``ema_params: Mapping[...]`` of list params is a list (palivla's EMA maps over both
    trees); ``opt_params`` (spread into ``tx.update``) and ``hparams`` are settings, which go
    by their annotation."""
    params = [jnp.ones((3, 1)), {"b": jnp.zeros(3)}]
    chosen = {f.name: choose(f, params)[0] for f in extra_fields(_ParamsNamedFields)}
    assert jax.tree_util.tree_structure(chosen["ema_params"]) == jax.tree_util.tree_structure(
        params
    )
    assert isinstance(chosen["opt_params"], FrozenDict)
    assert set(chosen["opt_params"]) == set(chosen["hparams"]) == {"extra"}


class _CallablesOfArrays(TrainState):
    loss_metric: Callable[[jnp.ndarray, jnp.ndarray], jnp.ndarray] = flax.struct.field(
        pytree_node=False
    )
    logits_fn: Callable[[jax.Array], jax.Array]


def test_a_callable_of_arrays_gets_a_function_not_an_array() -> None:
    """A callable type names arrays in its signature; its value is a function, static or not
    (a PRNG key there made a correct class fail on an unhashable static value)."""
    chosen = {f.name: choose(f, {"w": jnp.zeros(2)})[0] for f in extra_fields(_CallablesOfArrays)}
    assert chosen == {"loss_metric": stand_in_function, "logits_fn": stand_in_function}


def _annotation_function() -> None:
    """A function used as an annotation, as some classes write ``key: jax.random.PRNGKey``."""


@pytest.mark.parametrize(
    ("annotation", "shown"),
    [
        (jax.Array, "Array"),
        (dict[str, jax.Array], "dict[str, Array]"),
        (Optional[jax.Array], "Optional[Array]"),  # noqa: UP045 -- the form classes write
        (optax.Params, "Union[Array, ndarray, "),
        (_annotation_function, "_annotation_function"),
        ("jnp.ndarray", "jnp.ndarray"),
    ],
)
def test_an_annotation_is_shown_as_source_writes_it(annotation: Any, shown: str) -> None:
    """No module paths (``jax.Array`` is ``jaxlib._jax.Array`` at run time), no address."""
    text = annotation_text(annotation)
    assert text.startswith(shown), text
    assert "jaxlib" not in text and " at 0x" not in text and "ForwardRef" not in text


def test_the_values_description_names_the_hook_only_for_the_fields_it_gives() -> None:
    values = FieldValues(_EmaFilledByCreate, lambda p: {"count": 7})
    values.settle(_EmaFilledByCreate)
    described = {f["name"]: f["value"] for f in values.describe()}
    assert described["count"] == "the module's trainstate_fields(params)"
    assert described["ema_params"].startswith(
        "not named by trainstate_fields(params), so none: the class's own create fills it"
    )


def test_trajectory_scales_include_update_sizes() -> None:
    traj = Trajectory([{"w": np.float32(1.0)}, {"w": np.float32(-3.0)}], [(), ()])
    p_scale, _ = trajectory_scales(traj)
    assert [float(s) for s in p_scale] == [3.0 + 4.0]


# --------------------------------------------------------------------------- recipe


@META
@given(
    n=st.sampled_from([1, 3, 8]),
    d=st.sampled_from([1, 2, 4]),
    seed=st.integers(-(2**31), 2**31 - 1),
    lr=st.sampled_from([0.0, 0.01, 0.3]),
    data=st.data(),
)
def test_recipe_with_flax_train_state_matches_the_reference(n, d, seed, lr, data) -> None:
    elements = st.floats(-3, 3, width=32)
    from hypothesis.extra import numpy as hnp

    x = data.draw(hnp.arrays(np.float32, (n, d), elements=elements), label="x")
    y = data.draw(hnp.arrays(np.float32, (n,), elements=elements), label="y")
    ours = one_step_from_train_state(TrainState, lambda params: {})(seed, x, y, lr)
    ref = reference_one_step(seed, x, y, lr)
    assert ours.dtype == np.float64 and ours.shape == (2,)
    assert ours[0] == ref[0] == 1.0
    # The recipe runs apply_gradients eagerly and the reference fully jitted:
    # a different fusion may move the loss by a few float32 roundoffs.
    np.testing.assert_allclose(ours[1], ref[1], rtol=1e-5, atol=1e-6)


def test_recipe_runs_a_class_that_is_not_a_pytree(repo) -> None:
    impl = Service.load(str(repo / "implementations/mutants/ts_not_a_pytree.py"))
    assert impl.one_step_is_built
    x = np.ones((2, 2), np.float32)
    y = np.zeros(2, np.float32)
    np.testing.assert_allclose(
        impl.one_step(7, x, y, 0.1), reference_one_step(7, x, y, 0.1), rtol=1e-6
    )
