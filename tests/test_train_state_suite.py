"""Meta tests: each ``ts_`` mutant fails the TrainState property aimed at it, with a
message naming the broken point.  (The correct classes are run through every property
in ``tests/test_bundled.py``.)

The mutants share one subprocess run of the suite (``-n 2``, the derandomized ``ci``
profile, a JSON report), in-process like the one-step mutants' (see ``IN_PROCESS``).
"""

from __future__ import annotations

import pytest

from tests.suite_runner import replay_failures, run_suite
from tests.test_bundled import IN_PROCESS

# mutant -> (property module, property, text the failure message must contain)
MUTANTS: dict[str, tuple[str, str, str]] = {
    "ts_positional_grads": (
        "keyword_only",
        "test_positional_grads_raise_type_error",
        "grads must be keyword-only",
    ),
    "ts_step_not_incremented": (
        "step",
        "test_step_counts_apply_gradients_calls",
        "each apply_gradients call must return step + 1",
    ),
    "ts_opt_state_reinitialised": (
        "optax_loop",
        "test_params_and_opt_state_follow_the_optax_loop",
        "Optax loop",
    ),
    "ts_mutates_in_place": (
        "old_state_unchanged",
        "test_apply_gradients_leaves_the_old_state_unchanged",
        "returned the state it was called on",
    ),
    "ts_not_a_pytree": (
        "pytree",
        "test_flatten_unflatten_round_trip",
        "the state is not a pytree",
    ),
    "ts_unchecked_grads_structure": (
        "grads_structure",
        "test_mismatched_grads_structure_raises",
        "accepted grads whose pytree structure differs from params",
    ),
    # Caught by a renamed key in its sorted place and by tuple params with list grads, both
    # pinned; the report names whichever Hypothesis reports.
    "ts_relabels_grads_by_position": (
        "grads_structure",
        "test_mismatched_grads_structure_raises",
        "accepted grads whose pytree structure differs from params",
    ),
    "ts_float_step": (
        "step",
        "test_step_counts_apply_gradients_calls",
        "it must be an integral count",
    ),
    "ts_create_ignores_kwargs": (
        "create_kwargs",
        "test_create_passes_extra_fields",
        "create must pass **kwargs on to the constructor",
    ),
    "ts_replace_mutates": (
        "replace",
        "test_replace_returns_a_modified_copy",
        "replace returned the state it was called on",
    ),
    "ts_replace_reinits_opt_state": (
        "replace",
        "test_replace_returns_a_modified_copy",
        "the copy's opt_state (not replaced) is wrong",
    ),
    "ts_tx_is_leaf": (
        "pytree",
        "test_apply_fn_and_tx_are_static",
        "apply_fn and tx must be static fields",
    ),
    "ts_opt_state_from_zeros": (
        "create",
        "test_create_starts_at_step_zero_and_keeps_its_inputs",
        "opt_state after create is not tx.init(params)",
    ),
    "ts_update_without_params": (
        "optax_loop",
        "test_params_and_opt_state_follow_the_optax_loop",
        "requires the current value of parameters",
    ),
    "ts_gradient_ascent": (
        "loss_decreases",
        "test_small_sgd_step_does_not_increase_dense_loss",
        "the MSE loss of nn.Dense(1) rose",
    ),
    "ts_mutable_dataclass": (
        "frozen_fields",
        "test_assigning_a_field_raises_attribute_error",
        "the state must be immutable",
    ),
    "ts_returns_base_class": (
        "step",
        "test_step_counts_apply_gradients_calls",
        "(the type it was called on)",
    ),
    "ts_rebuilds_state_by_hand": (
        "subclass",
        "test_a_subclass_keeps_its_own_fields",
        "did not carry subclass_field",
    ),
    "ts_updates_numpy_params_in_place": (
        "old_state_unchanged",
        "test_apply_gradients_leaves_the_old_state_unchanged",
        "changed the old state's params",
    ),
    "ts_apply_gradients_drops_kwargs": (
        "apply_gradients_kwargs",
        "test_apply_gradients_kwargs_replace_fields",
        "**kwargs must replace fields",
    ),
    "ts_params_static": (
        "pytree",
        "test_apply_fn_and_tx_are_static",
        "must be pytree children",
    ),
    "ts_create_freezes_params": (
        "create",
        "test_create_starts_at_step_zero_and_keeps_its_inputs",
        "create did not keep params as given",
    ),
    "ts_create_rejects_bare_params": (
        "create",
        "test_create_starts_at_step_zero_and_keeps_its_inputs",
        "params=a bare array",
    ),
    "ts_extra_field_overwritten": (
        "extra_fields",
        "test_extra_fields_are_carried_replaced_and_kept_as_declared",
        "apply_gradients(grads=...) did not carry it unchanged",
    ),
    "ts_fuses_updates_above_64_leaves": (
        "optax_loop",
        "test_params_and_opt_state_follow_the_optax_loop",
        "opt_state after 1 of 1 apply_gradients",
    ),
    "ts_mask_by_joined_key_paths": (
        "optax_loop",
        "test_params_and_opt_state_follow_the_optax_loop",
        "pytree structure error",
    ),
    "ts_adds_updates_by_hand": (
        "dtypes",
        "test_params_keep_their_dtypes",
        "params after 1 of 2 apply_gradients(grads=...) call(s) changed dtypes",
    ),
    "ts_skips_low_precision_params": (
        "dtypes",
        "test_params_keep_their_dtypes",
        "though the same updates of float32 params by float32 grads agree",
    ),
    "ts_opt_state_in_param_dtype": (
        "dtypes",
        "test_params_keep_their_dtypes",
        "opt_state after 1 of 2 apply_gradients(grads=...) call(s) changed dtypes",
    ),
    "ts_grads_check_knows_only_mappings": (
        "optax_loop",
        "test_params_and_opt_state_follow_the_optax_loop",
        "call 1 raised ValueError: setting an array element with a sequence",
    ),
    "ts_sparse_rows_for_large_leaves": (
        "optax_loop",
        "test_params_and_opt_state_follow_the_optax_loop",
        "params after 1 of 1 apply_gradients(grads=...) call(s) differ from the Optax loop",
    ),
    "ts_grads_none_replaces_fields": (
        "keyword_only",
        "test_apply_gradients_without_grads_raises",
        "grads is a required keyword",
    ),
    "ts_kwargs_before_update": (
        "apply_gradients_kwargs",
        "test_keyword_fields_replace_after_the_update",
        "with the state's own tx",
    ),
    "ts_replace_takes_any_keyword": (
        "apply_gradients_kwargs",
        "test_keyword_fields_replace_after_the_update",
        "Flax's replace takes only the class's fields",
    ),
    "ts_step_uint8": (
        "create",
        "test_create_starts_at_step_zero_and_keeps_its_inputs",
        "wraps or overflows",
    ),
    "ts_skips_non_finite_updates": (
        "step",
        "test_step_counts_apply_gradients_calls",
        "each apply_gradients call must return step + 1",
    ),
    "ts_nan_to_num_grads": (
        "optax_loop",
        "test_params_and_opt_state_follow_the_optax_loop",
        "which Flax's TrainState applies like any other gradient",
    ),
    "ts_drops_non_finite_updates": (
        "optax_loop",
        "test_params_and_opt_state_follow_the_optax_loop",
        "which Flax's TrainState applies like any other gradient",
    ),
    "ts_checks_step_type": (
        "pytree",
        "test_flatten_unflatten_round_trip",
        "which rebuilds the state with ShapeDtypeStruct leaves",
    ),
    "ts_static_array_field": (
        "extra_fields",
        "test_extra_fields_are_carried_replaced_and_kept_as_declared",
        "so its value must be hashable",
    ),
    "ts_static_field_registered_as_leaf": (
        "extra_fields",
        "test_extra_fields_are_carried_replaced_and_kept_as_declared",
        "is declared static (pytree_node=False) but its value",
    ),
    "ts_upcasts_low_precision_grads": (
        "dtypes",
        "test_params_keep_their_dtypes",
        "float16 grads",
    ),
    "ts_grads_check_takes_any_sequence": (
        "grads_structure",
        "test_mismatched_grads_structure_raises",
        "tuple/list swapped",
    ),
    "ts_rebuilds_containers_by_type": (
        "optax_loop",
        "test_params_and_opt_state_follow_the_optax_loop",
        "Params(w=f32[3], b=f32[])",
    ),
    "ts_create_checks_params_are_finite": (
        "create",
        "test_create_starts_at_step_zero_and_keeps_its_inputs",
        "raised jax.errors.TracerBoolConversionError",
    ),
    "ts_create_requires_callable_apply_fn": (
        "create",
        "test_create_starts_at_step_zero_and_keeps_its_inputs",
        "raised TypeError: apply_fn must be callable",
    ),
}

SEVERAL_FAILURES = {"ts_update_without_params"}
"""Hypothesis may report two distinct failures for these (``adamw`` and schedule-free
SGD raise different errors without ``params``); the report's message is then the first
member's, which may be either error."""


@pytest.fixture(scope="module")
def mutant_results(tmp_path_factory, repo, suite_cache_dir) -> dict[str, dict]:
    """For each ``ts_`` mutant, the one property aimed at it."""
    targets = [
        f"{repo}/conformance/test_train_state_{module}.py::{test}[{name}]"
        for name, (module, test, _) in MUTANTS.items()
    ]
    impls = [
        arg
        for name in MUTANTS
        for arg in ("--trainstate-impl", f"implementations/mutants/{name}.py")
    ]
    report = tmp_path_factory.mktemp("ts_mutants") / "report.json"
    results = run_suite(
        repo, report, [*targets, *impls, *IN_PROCESS], cache_dir=suite_cache_dir, timeout=1800
    )
    return {r["implementation"]: r for r in results}


def test_every_ts_mutant_file_is_listed(repo) -> None:
    files = {p.stem for p in (repo / "implementations" / "mutants").glob("ts_*.py")}
    assert files == set(MUTANTS)


def test_every_ts_mutant_fails_the_property_aimed_at_it(mutant_results) -> None:
    problems = []
    for name, (_, _, aimed_message) in MUTANTS.items():
        result = mutant_results.get(name)
        if result is None or result["status"] != "failed":
            problems.append(f"{name}: not caught: {result}")
            continue
        message = result["message"] or ""
        expected = "raised" if name in SEVERAL_FAILURES else aimed_message
        if expected not in message or name not in message:
            problems.append(f"{name}: the message does not name {expected!r} and {name}: {message}")
    assert not problems, "\n".join(problems)


def test_every_ts_mutant_failure_is_reproduced_by_its_snippet(
    repo, mutant_results, suite_cache_dir
) -> None:
    """The snippet of a TrainState failure rebuilds its case bit for bit and fails again; for a
    mutant that fails two ways (``SEVERAL_FAILURES``) the report's message is one of them."""
    problems = replay_failures(
        repo,
        list(mutant_results.values()),
        timeout=900,
        cache_dir=suite_cache_dir,
        any_failure=frozenset(SEVERAL_FAILURES),
    )
    assert not problems, "repro snippets that do not reproduce their failure:\n" + "\n".join(
        problems
    )
