"""The pytest plugin: choosing implementations, ids, header, usage errors."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path

import pytest

from tests import meta_profile
from tests.submissions import CORRECT, WRONG_STEP

# The plugin's machinery, not a verdict's strength, is tested here: ten draws per property.
pytestmark = pytest.mark.usefixtures("quick_profile")

STEP_COUNTER = "conformance/test_step_counter.py"


def run(pytester: pytest.Pytester, repo: Path, cache_dir: Path, *args: str) -> pytest.RunResult:
    # The session's shared cache directory: its JAX cache spares each run the reference's
    # compiles (a run on a cold cache of its own took 16 s for two implementations).
    return pytester.runpytest_subprocess(
        str(repo / STEP_COUNTER), "-o", f"cache_dir={cache_dir}", *meta_profile.QUICK_ARGS, *args
    )


def assert_one_line_usage_error(result: pytest.RunResult, expected: str) -> None:
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.errlines if line.strip()]
    assert errors == [f"ERROR: {expected}"], result.errlines
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_a_file_implementation_is_tested_under_its_stem(pytester, repo, suite_cache_dir) -> None:
    pytester.makepyfile(my_impl=CORRECT)
    result = run(pytester, repo, suite_cache_dir, "--trainstate-impl", "my_impl.py", "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*test_step_after_is_exactly_one[[]my_impl[]] PASSED*"])


def test_dotted_module_and_several_impls_with_k_selection(pytester, repo, suite_cache_dir) -> None:
    pytester.makepyfile(first_impl=CORRECT, second_impl=CORRECT)
    pytester.syspathinsert()
    result = run(
        pytester,
        repo,
        suite_cache_dir,
        "--trainstate-impl",
        "first_impl",
        "--trainstate-impl",
        "second_impl.py",
        "-k",
        "second_impl",
    )
    result.assert_outcomes(passed=1, deselected=1)


def test_env_var_chooses_implementations(pytester, repo, monkeypatch, suite_cache_dir) -> None:
    # A file and a dotted module, both NumPy: the reference's host would compile its step for
    # every shape drawn (the default run's test below pays that once).
    pytester.makepyfile(env_impl=CORRECT, dotted_impl=CORRECT)
    pytester.syspathinsert()
    monkeypatch.setenv("TRAINSTATE_IMPL", "env_impl.py, dotted_impl")
    result = run(pytester, repo, suite_cache_dir, "-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*[[]env_impl[]]*", "*[[]dotted_impl[]]*"])


def test_default_is_the_reference_and_header_names_versions(
    pytester, repo, suite_cache_dir
) -> None:
    result = run(pytester, repo, suite_cache_dir, "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "trainstate-conformance: implementations from default:",
            "  reference: conformance.reference.flax_step*",
            f"trainstate-conformance: hypothesis profile {meta_profile.QUICK_PROFILE}; "
            "jax *, flax *, optax *, numpy *, hypothesis *",
            "*test_step_after_is_exactly_one[[]reference[]] PASSED*",
        ]
    )


def test_another_projects_session_does_not_see_the_plugin(pytester) -> None:
    """Installed, the plugin loads in every pytest session of the environment: one that runs
    none of the suite's properties gets no header and no conformance verdict."""
    pytester.makepyfile(test_other="def test_other():\n    assert True\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    shown = [line for line in result.outlines if "trainstate-conformance" in line]
    assert [line for line in shown if not line.startswith("plugins:")] == [], shown


def test_wrong_file_fails_naming_property_impl_and_input(pytester, repo, suite_cache_dir) -> None:
    pytester.makepyfile(wrong_step=WRONG_STEP)
    result = run(pytester, repo, suite_cache_dir, "--trainstate-impl", "wrong_step.py")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*AssertionError: step_after=2.0, but one apply_gradients call*gives exactly 1 "
            "[[]seed=*, N=*, D=*, lr=*",
            "*# Reproduce test_step_after_is_exactly_one for wrong_step*",
            "*ing*example: test_step_after_is_exactly_one(",
            "FAILED *test_step_after_is_exactly_one[[]wrong_step[]]*",
        ]
    )


def test_a_missing_file_is_a_one_line_usage_error(pytester, repo, suite_cache_dir) -> None:
    result = run(pytester, repo, suite_cache_dir, "--trainstate-impl", "missing.py")
    assert_one_line_usage_error(result, "--trainstate-impl missing.py: no such file")


@pytest.mark.parametrize(
    ("files", "spec", "message"),
    [
        (
            {},
            "no_such_module_xyz",
            "--trainstate-impl no_such_module_xyz: no module named 'no_such_module_xyz'",
        ),
        (
            {"broken": "raise RuntimeError('boom')\n"},
            "broken.py",
            "--trainstate-impl broken.py: importing it raised RuntimeError: boom",
        ),
        (
            {"syntax": "def one_step(:\n"},
            "syntax.py",
            "--trainstate-impl syntax.py: importing it raised SyntaxError: *",
        ),
        (
            {"empty": "X = 1\n"},
            "empty.py",
            "--trainstate-impl empty.py: defines neither one_step nor TrainState",
        ),
        (
            {"notcallable": "one_step = 3\n"},
            "notcallable.py",
            "--trainstate-impl notcallable.py: one_step is not callable",
        ),
    ],
    ids=["missing module", "import raises", "syntax error", "nothing to test", "not callable"],
)
def test_a_module_that_cannot_be_tested_is_one_failure_beside_a_correct_one(
    pytester, repo, files, spec, message, suite_cache_dir
) -> None:
    pytester.makepyfile(good=CORRECT, **files)
    report = pytester.path / "report.json"
    result = run(
        pytester,
        repo,
        suite_cache_dir,
        str(repo / "conformance" / "test_module.py"),
        *("--trainstate-impl", spec, "--trainstate-impl", "good.py"),
        f"--trainstate-report={report}",
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
    name = spec.removesuffix(".py")
    results = json.loads(report.read_text())["results"]
    statuses = {(r["implementation"], r["property"]): r for r in results}
    assert statuses[(name, "module_imports")]["status"] == "failed"
    blocked = statuses[(name, "step_after_is_exactly_one")]
    assert blocked["status"] == "blocked", blocked
    assert fnmatch.fnmatch(blocked["blocked_by"], message), blocked["blocked_by"]
    assert {r["status"] for r in results if r["implementation"] == "good"} == {"passed"}
    result.stdout.fnmatch_lines(
        [f"{name}: DOES NOT CONFORM (1 failed, 1 blocked)*", "good: CONFORMS (2 passed)*"]
    )


def test_two_impls_with_one_name_are_refused(pytester, repo, suite_cache_dir) -> None:
    pytester.makepyfile(dup=CORRECT)
    (pytester.path / "sub").mkdir()
    (pytester.path / "sub" / "dup.py").write_text(CORRECT)
    result = run(
        pytester,
        repo,
        suite_cache_dir,
        "--trainstate-impl",
        "dup.py",
        "--trainstate-impl",
        "sub/dup.py",
    )
    assert_one_line_usage_error(
        result,
        "--trainstate-impl sub/dup.py: its name 'dup' is already taken by "
        "--trainstate-impl dup.py; "
        "rename one of the files",
    )


def test_the_reference_is_named_by_its_test_id_name_too() -> None:
    from conformance.isolation.implementations import REFERENCE_SPEC, check_specs

    # "reference" is what its test ids and `-k` use; taken as a module path it imported nothing.
    assert check_specs(["reference"]) == [("reference", REFERENCE_SPEC)]
    assert check_specs([REFERENCE_SPEC]) == [("reference", REFERENCE_SPEC)]


SCHEDULER_SPY = (
    "import os\n"
    "import pytest\n"
    "@pytest.hookimpl(wrapper=True, optionalhook=True)\n"
    "def pytest_xdist_make_scheduler(config, log):\n"
    "    scheduler = yield\n"
    "    with open(os.environ['SCHEDULER_SPY_FILE'], 'w') as f:\n"
    "        f.write(type(scheduler).__name__)\n"
    "    return scheduler\n"
)


@pytest.mark.parametrize(
    ("dist_args", "scheduler"),
    [((), "WorkStealingScheduling"), (("--dist", "load"), "LoadScheduling")],
    ids=["no --dist: work stealing", "--dist load is kept"],
)
def test_xdist_scheduler(
    pytester, repo, monkeypatch, dist_args, scheduler, suite_cache_dir
) -> None:
    # The NumPy submission, not the default reference, whose hosts would compile its step.
    pytester.makepyfile(scheduler_spy=SCHEDULER_SPY, good=CORRECT)
    pytester.syspathinsert()
    spy_file = pytester.path / "scheduler.txt"
    monkeypatch.setenv("SCHEDULER_SPY_FILE", str(spy_file))
    result = run(
        pytester, repo, suite_cache_dir, "--trainstate-impl", "good.py", "-p", "scheduler_spy",
        "-n", "2", *dist_args,
    )  # fmt: skip
    result.assert_outcomes(passed=1)
    assert spy_file.read_text() == scheduler


def test_every_property_carries_its_family_and_the_run_order_follows_the_markers() -> None:
    """The plugin knows a property by its markers alone (conformance/properties/skeleton.py)."""
    import importlib

    from conformance.plugin import SUITE
    from conformance.plugin.collection import run_rank

    families = {"trainstate_one_step", "trainstate_train_state", "trainstate_module"}
    ranks: dict[str, int] = {}
    for path in sorted(SUITE.glob("test_*.py")):
        module = importlib.import_module(f"conformance.{path.stem}")
        for name in dir(module):
            if name.startswith("test_"):
                marks = {m.name for m in getattr(getattr(module, name), "pytestmark", [])}
                assert len(marks & families) == 1, f"{path.name}::{name} carries {marks}"
                ranks[name] = run_rank(marks)
    assert len(ranks) >= 31
    assert ranks["test_loss_after_agrees_with_reference"] == 0
    assert ranks["test_row_permutation_invariance"] == 1
    assert ranks["test_step_counts_apply_gradients_calls"] == 2
    assert ranks["test_replace_returns_a_modified_copy"] == 3


NEW_PROPERTY = '''"""A property added as one module: step_after is never above 1."""

from conformance.isolation.implementations import Implementation
from conformance.properties.calling import call
from conformance.properties.skeleton import one_step_property
from conformance.strategies.edge_cases import edge_pins
from conformance.strategies.problems import Problem, problems


@one_step_property(pins=edge_pins("small"), problem=problems())
def test_step_after_is_at_most_one(impl: Implementation, problem: Problem) -> None:
    step = call(impl, problem).step
    assert step <= 1.0, f"step_after={step!r}, but one call gives 1 {problem.label()}"
'''


def test_a_property_added_as_one_module_is_collected_judged_and_reproducible(
    tmp_path, repo, suite_cache_dir
) -> None:
    """Adding a property takes its module and nothing else: in a copy of the suite with one
    more module, the new property is collected for every implementation, ordered, reported
    with its markers, and its failure carries a snippet that fails again."""
    import json
    import os
    import shutil
    import subprocess
    import sys

    copy = tmp_path / "copy"
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(repo / "conformance", copy / "conformance", ignore=ignore)
    for part in ("strategies", "reference"):
        shutil.copytree(repo / part, copy / "conformance" / part, ignore=ignore)
    shutil.copy(repo / "pytest_trainstate.py", copy)
    (copy / "conformance" / "test_step_bound.py").write_text(NEW_PROPERTY)
    (tmp_path / "good.py").write_text(CORRECT)
    (tmp_path / "bad.py").write_text(WRONG_STEP)
    report = tmp_path / "report.json"
    # The copy first on the path: its pytest_trainstate and conformance, not the installed ones.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(copy), os.environ["PYTHONPATH"]])}
    done = subprocess.run(
        [
            sys.executable, "-m", "pytest", "-q", "-o", f"cache_dir={suite_cache_dir}",
            *meta_profile.QUICK_ARGS, "-k", "step_after",
            "--trainstate-impl", "good.py", "--trainstate-impl", "bad.py",
            "--trainstate-report", str(report),
        ],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert report.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    document = json.loads(report.read_text())
    results = {(r["implementation"], r["property"]): r for r in document["results"]}
    new = "step_after_is_at_most_one"
    assert results[("good", new)]["status"] == "passed"
    failed = results[("bad", new)]
    assert failed["status"] == "failed" and failed["markers"] == ["trainstate_one_step"]
    assert "AssertionError: step_after=2.0" in failed["message"]
    snippet = subprocess.run(
        [sys.executable, "-c", failed["repro"]],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert snippet.returncode == 1 and "AssertionError: step_after=2.0" in snippet.stderr
