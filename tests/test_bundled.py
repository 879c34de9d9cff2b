"""The suite's power, measured: every bundled correct implementation passes every
property, and every bundled mutant is caught (the ``trainstate-ci`` profile, as in a gate;
the correct implementations with fewer draws and the mutants without shrinking,
:mod:`tests.meta_profile`).

A surviving mutant is fixed by strengthening the suite, never by deleting the
mutant; an equivalent mutant (one that cannot differ observably) is not a mutant.

The correct run covers the ``ts_`` classes' TrainState properties too.  To keep
CI short, the one-step mutants run against the basic contract modules
and the determinism module with ``--trainstate-maxfail 1`` (each stops at its first
failed property), and the ``ts_`` mutants are covered property by property in
``tests/test_train_state_suite.py``.  ``tools/kill_matrix.py`` runs every
property on every bundled implementation and prints the matrix the README shows.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests import meta_profile
from tests.suite_runner import replay_failures, run_suite

BUNDLED = Path(__file__).resolve().parent.parent / "implementations"
CORRECT = sorted(p.stem for p in (BUNDLED / "correct").glob("*.py"))
MUTANTS = sorted(p.stem for p in (BUNDLED / "mutants").glob("*.py") if not p.stem.startswith("ts_"))
NOT_CONFORMING = ("failed", "blocked")
"""The statuses that make an implementation not conform (``blocked``: a more basic call failed)."""
IN_PROCESS = ["--trainstate-in-process"]
"""For runs of the project's own mutants: about 2.5 s of CPU less per mutant and worker (no
JAX import of its own), and the programs mutants share compiled once.  The correct
implementations run isolated, as a user's would: no false failure may hide behind it."""
KILLING_MODULES = [
    "conformance/test_reference_agreement.py",
    "conformance/test_output_contract.py",
    "conformance/test_step_counter.py",
    "conformance/test_zero_learning_rate.py",
    "conformance/test_determinism.py",
    "conformance/test_input_immutability.py",
    "conformance/test_global_state.py",
]


def run_bundled(
    repo: Path,
    where: Path,
    cache_dir: Path,
    kind: str,
    names: list[str],
    *extra: str,
    profile: str = "trainstate-ci",
) -> list[dict]:
    impls = [
        arg for name in names for arg in ("--trainstate-impl", f"implementations/{kind}/{name}.py")
    ]
    report = where / f"{kind}.json"
    return run_suite(
        repo, report, [*impls, *extra], cache_dir=cache_dir, timeout=2400, profile=profile
    )


@pytest.fixture(scope="module")
def correct_results(repo, tmp_path_factory, suite_cache_dir) -> list[dict]:
    where = tmp_path_factory.mktemp("correct")
    return run_bundled(
        repo, where, suite_cache_dir, "correct", CORRECT, profile=meta_profile.QUICK_PROFILE
    )


@pytest.fixture(scope="module")
def mutant_results(repo, tmp_path_factory, suite_cache_dir) -> list[dict]:
    # One failed property is enough to kill a mutant; the rest of its properties are skipped.
    # The mutants are the project's own code and this measures the properties, not the
    # isolation: in-process they share imports and compiled programs (IN_PROCESS).
    where = tmp_path_factory.mktemp("mutants")
    limits = ["--trainstate-maxfail", "1", *IN_PROCESS]
    return run_bundled(
        repo, where, suite_cache_dir, "mutants", MUTANTS, *KILLING_MODULES, *limits,
        profile=meta_profile.KILL_PROFILE,
    )  # fmt: skip


def test_there_are_enough_mutants_and_alternatives() -> None:
    assert len(MUTANTS) + len(list((BUNDLED / "mutants").glob("ts_*.py"))) >= 25
    assert {"numpy_float64", "pure_jax", "flax_nnx", "equinox_state"} <= set(CORRECT)


@pytest.mark.parametrize("name", sorted(p.stem for p in (BUNDLED / "mutants").glob("*.py")))
def test_every_mutant_documents_its_departure(name) -> None:
    source = (BUNDLED / "mutants" / f"{name}.py").read_text()
    docstring = ast.get_docstring(ast.parse(source))
    assert docstring and len(docstring.split()) >= 8, (
        f"{name}.py: say what the bug is and what exposes it"
    )


def test_every_correct_implementation_passes_every_property(correct_results) -> None:
    # One test per suite run: under xdist a module-scoped fixture would run once per worker.
    problems = []
    for name in CORRECT:
        mine = [r for r in correct_results if r["implementation"] == name]
        failed = {r["property"]: r["message"] for r in mine if r["status"] in NOT_CONFORMING}
        if len(mine) < 15 or failed:
            problems.append(f"{name}: {len(mine)} verdicts, failed {failed}")
    extra_fields = {
        r["property"]: r["status"]
        for r in correct_results
        if r["implementation"] == "ts_flax_subclass"
    }
    if extra_fields.get("create_passes_extra_fields") != "passed":
        problems.append("the extra-field property did not run on ts_flax_subclass")
    assert not problems, "correct implementations that do not pass:\n" + "\n".join(problems)


def test_every_mutant_is_killed(mutant_results) -> None:
    survivors = [
        name
        for name in MUTANTS
        if not any(
            r["status"] in NOT_CONFORMING for r in mutant_results if r["implementation"] == name
        )
    ]
    assert not survivors, f"mutants that survive every property: {survivors}"


HISTORY_DEPENDENT = {
    "cache_by_seed_shape",
    "fingerprint_cache",
    "returns_one_buffer",
    "step_counts_calls",
}
"""Mutants whose answer depends on the calls made before it in the process: a snippet, which
makes one call, cannot bring their failure back (and says so)."""


def test_every_failure_of_a_mutant_is_reproduced_by_its_snippet(
    repo, mutant_results, suite_cache_dir
) -> None:
    replayed = [r for r in mutant_results if r["implementation"] not in HISTORY_DEPENDENT]
    problems = replay_failures(repo, replayed, timeout=900, cache_dir=suite_cache_dir)
    assert not problems, "repro snippets that do not reproduce their failure:\n" + "\n".join(
        problems
    )
