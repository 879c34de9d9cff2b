"""Meta tests: the TrainState properties pass Flax's class and the correct alternatives,
and each ``ts_`` mutant fails the property aimed at it, with a message naming the broken point.

Each group is one subprocess run of the suite (``-n 2``, the derandomized ``ci``
profile, a JSON report), shared by the tests of this module.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

PROPERTY_FILES = "conformance/test_train_state_*.py"
CORRECT = ("ts_flax", "ts_flax_subclass", "ts_dataclass_pytree", "ts_equinox_module")
ALLOWED_SKIPS = {"create_passes_extra_fields"}
"""Skipped, with its reason, for classes without fields beyond Flax's five."""

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
}

SEVERAL_FAILURES = {"ts_update_without_params"}
"""Hypothesis may report two distinct failures for these (``adamw`` and schedule-free
SGD raise different errors without ``params``); the report's message is then the first
member's, which may be either error."""


def _run_suite(repo: Path, where: Path, targets: list[str], impls: list[Path]) -> list[dict]:
    report = where / "report.json"
    args = [a for path in impls for a in ("--impl", str(path))]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            *targets,
            *args,
            "-n",
            "2",
            "-p",
            "no:cacheprovider",
            "--hypothesis-profile=ci",
            "--conformance-report",
            str(report),
        ],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert report.exists(), done.stdout[-5000:] + done.stderr[-5000:]
    return json.loads(report.read_text())["results"]


@pytest.fixture(scope="module")
def correct_results(tmp_path_factory, repo) -> list[dict]:
    """Every TrainState property over Flax's class and the correct ``ts_`` alternatives."""
    targets = sorted(str(p) for p in repo.glob(PROPERTY_FILES))
    impls = [repo / "implementations" / "correct" / f"{name}.py" for name in CORRECT]
    return _run_suite(repo, tmp_path_factory.mktemp("ts_correct"), targets, impls)


@pytest.fixture(scope="module")
def mutant_results(tmp_path_factory, repo) -> dict[str, dict]:
    """For each ``ts_`` mutant, the one property aimed at it."""
    targets = [
        f"{repo}/conformance/test_train_state_{module}.py::{test}[{name}]"
        for name, (module, test, _) in MUTANTS.items()
    ]
    impls = [repo / "implementations" / "mutants" / f"{name}.py" for name in MUTANTS]
    results = _run_suite(repo, tmp_path_factory.mktemp("ts_mutants"), targets, impls)
    return {r["implementation"]: r for r in results}


def test_every_ts_mutant_file_is_listed(repo) -> None:
    files = {p.stem for p in (repo / "implementations" / "mutants").glob("ts_*.py")}
    assert files == set(MUTANTS)


@pytest.mark.xdist_group("ts_correct")
@pytest.mark.parametrize("name", CORRECT)
def test_correct_train_state_passes_every_property(correct_results, name) -> None:
    mine = [r for r in correct_results if r["implementation"] == name]
    assert len(mine) == 16, [r["property"] for r in mine]
    failed = {r["property"]: r["message"] for r in mine if r["status"] == "failed"}
    assert not failed, failed
    skipped = {r["property"] for r in mine if r["status"] == "skipped"}
    assert skipped <= ALLOWED_SKIPS, skipped


@pytest.mark.xdist_group("ts_correct")
def test_extra_field_properties_run_on_the_flax_subclass(correct_results) -> None:
    statuses = {
        r["property"]: r["status"]
        for r in correct_results
        if r["implementation"] == "ts_flax_subclass"
    }
    assert statuses["create_passes_extra_fields"] == "passed"


@pytest.mark.xdist_group("ts_mutants")
@pytest.mark.parametrize("name", list(MUTANTS))
def test_mutant_fails_the_property_aimed_at_it(mutant_results, name) -> None:
    result = mutant_results[name]
    assert result["status"] == "failed", result
    message = result["message"] or ""
    expected = "raised" if name in SEVERAL_FAILURES else MUTANTS[name][2]
    assert expected in message, message
    assert name in message, f"the message does not name the implementation: {message}"
