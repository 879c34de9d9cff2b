"""Gradescope's and PrairieLearn's results files (``conformance/reporting/graders.py``).

Each document is checked against the fields its platform documents, with their types
(:func:`gradescope_problems`, :func:`prairielearn_problems`), and for the exact set of
fields the suite writes.  The formats, as documented:

- Gradescope, ``gradescope-autograders.readthedocs.io/en/latest/specs/`` ("Output format",
  "Test case status", "Output String Formatting");
- PrairieLearn, ``docs.prairielearn.com/externalGrading/`` ("Grading results").
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from conformance.plugin import SUITE
from conformance.reporting import graders
from conformance.reporting.verdicts import Verdict
from tests import meta_profile

Check = Callable[[object], bool]


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _fraction(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1


def _string(value: object) -> bool:
    return isinstance(value, str)


def _one_of(*choices: str) -> Check:
    return lambda value: value in choices


def _list_of(check: Check) -> Check:
    return lambda value: isinstance(value, list) and all(check(item) for item in value)


_FORMATS = _one_of("text", "html", "simple_format", "md", "ansi")
_VISIBILITY = _one_of("hidden", "after_due_date", "after_published", "visible")
_ANY_LIST = _list_of(lambda _: True)

GRADESCOPE_FIELDS: dict[str, Check] = {
    "score": _number,
    "execution_time": _number,
    "output": _string,
    "output_format": _FORMATS,
    "test_output_format": _FORMATS,
    "test_name_format": _FORMATS,
    "visibility": _VISIBILITY,
    "stdout_visibility": _VISIBILITY,
    "extra_data": lambda value: isinstance(value, dict),
    "tests": _ANY_LIST,
    "leaderboard": _ANY_LIST,
}
GRADESCOPE_TEST_FIELDS: dict[str, Check] = {
    "score": _number,
    "max_score": _number,
    "status": _one_of("passed", "failed"),
    "name": _string,
    "name_format": _FORMATS,
    "number": _string,
    "output": _string,
    "output_format": _FORMATS,
    "tags": _list_of(_string),
    "visibility": _VISIBILITY,
    "extra_data": lambda value: isinstance(value, dict),
}
PRAIRIELEARN_FIELDS: dict[str, Check] = {
    "gradable": lambda value: isinstance(value, bool),
    "score": _fraction,
    "message": _string,
    "output": _string,
    "images": _ANY_LIST,
    "tests": _ANY_LIST,
    "format_errors": lambda value: _string(value) or _list_of(_string)(value),
}
PRAIRIELEARN_TEST_FIELDS: dict[str, Check] = {
    "name": _string,
    "description": _string,
    "points": _number,
    "max_points": _number,
    "message": _string,
    "output": _string,
    "images": _ANY_LIST,
}

GRADESCOPE_WRITTEN = {"score", "output", "output_format", "tests"}
GRADESCOPE_TEST_WRITTEN = {"name", "score", "max_score", "status", "output"}
PRAIRIELEARN_WRITTEN = {"gradable", "score", "message", "output", "tests"}
PRAIRIELEARN_TEST_WRITTEN = {"name", "points", "max_points", "message", "output"}


def _problems(document: Mapping[str, object], fields: Mapping[str, Check], where: str) -> list[str]:
    return [
        f"{where}: {key}={value!r} is not a documented field"
        if key not in fields
        else f"{where}: {key}={value!r} has the wrong type or value"
        for key, value in document.items()
        if key not in fields or not fields[key](value)
    ]


def gradescope_problems(document: Mapping[str, object]) -> list[str]:
    """What in ``document`` Gradescope's specification does not allow (``[]``: nothing)."""
    problems = _problems(document, GRADESCOPE_FIELDS, "top level")
    tests = document.get("tests", [])
    assert isinstance(tests, list)
    for number, test in enumerate(tests):
        problems += _problems(test, GRADESCOPE_TEST_FIELDS, f"tests[{number}]")
        if "score" not in document and "score" not in test:
            problems.append(f"tests[{number}]: no score, and none at the top level")
    if "score" not in document and not tests:
        problems.append("neither a top-level score nor tests")
    return problems


def prairielearn_problems(document: Mapping[str, object]) -> list[str]:
    """What in ``document`` PrairieLearn's external grading results do not allow."""
    problems = _problems(document, PRAIRIELEARN_FIELDS, "top level")
    if document.get("gradable", True) and "score" not in document:
        problems.append("a gradable result without a score")
    tests = document.get("tests", [])
    assert isinstance(tests, list)
    for number, test in enumerate(tests):
        problems += _problems(test, PRAIRIELEARN_TEST_FIELDS, f"tests[{number}]")
    return problems


def _check_gradescope(document: dict) -> None:
    document = json.loads(json.dumps(document))  # what the platform reads
    assert gradescope_problems(document) == []
    assert set(document) == GRADESCOPE_WRITTEN
    assert all(set(test) == GRADESCOPE_TEST_WRITTEN for test in document["tests"])
    assert document["score"] == pytest.approx(sum(t["score"] for t in document["tests"]))


def _check_prairielearn(document: dict) -> None:
    document = json.loads(json.dumps(document))
    assert prairielearn_problems(document) == []
    expected = PRAIRIELEARN_WRITTEN | ({"format_errors"} if not document["gradable"] else set())
    assert set(document) == expected
    assert all(set(test) == PRAIRIELEARN_TEST_WRITTEN for test in document["tests"])
    possible = sum(t["max_points"] for t in document["tests"])
    earned = sum(t["points"] for t in document["tests"])
    assert document["score"] == pytest.approx(earned / possible if possible else 0.0)


def verdict(
    prop: str,
    status: str = "passed",
    impl: str = "alice",
    *,
    message: str | None = None,
    repro: str | None = None,
    blocked_by: str | None = None,
    basic: bool = False,
) -> Verdict:
    return Verdict(
        implementation=impl,
        property=prop,
        nodeid=f"conformance/test_x.py::test_{prop}[{impl}]",
        status=status,
        evidence="judge",
        message=message,
        examples=None if status in ("blocked", "skipped", "not-applicable") else 12,
        first_failure_at=3 if status == "failed" else None,
        falsifying_example=None,
        repro=repro,
        calls={"one_step": 12},
        not_run=0,
        markers=["trainstate_basic", "trainstate_one_step"] if basic else ["trainstate_one_step"],
        blocked_by=blocked_by,
    )


ALICE = [("alice", "/submissions/alice.py")]
REPRO = (
    "# Reproduce test_zero_lr_keeps_initial_loss for alice: paste into Python and run.\nreplay()"
)
CAUSE = "one_step(seed, x, y, lr) raised ValueError: no"


def _conforming() -> list[Verdict]:
    return [
        verdict("module_imports", basic=True),
        verdict("output_is_a_finite_float_pair", basic=True),
        verdict("zero_lr_keeps_initial_loss"),
        verdict("step_after_is_exactly_one", "known-deviation", message="known deviation (x:1)"),
        verdict("create_passes_extra_fields", "not-applicable", message="no TrainState"),
    ]


def _failing() -> list[Verdict]:
    failure = "AssertionError: 2 != 1"
    return [
        verdict("module_imports", basic=True),
        verdict("output_is_a_finite_float_pair", "failed", basic=True, message=f"Error: {CAUSE}"),
        verdict("zero_lr_keeps_initial_loss", "failed", message=failure, repro=REPRO),
        verdict("step_after_is_exactly_one", "blocked", blocked_by=CAUSE),
        verdict("inputs_are_not_modified", "skipped", message="alice already failed 2 properties"),
        verdict("create_passes_extra_fields", "not-applicable", message="no TrainState"),
    ]


def test_a_conforming_submission_earns_every_point_but_what_does_not_apply() -> None:
    document = graders.gradescope_results(_conforming(), ALICE, {}, {})
    _check_gradescope(document)
    tests = {t["name"]: t for t in document["tests"]}
    assert "create_passes_extra_fields" not in tests  # not applicable: left out
    assert [t["name"] for t in document["tests"]][:2] == [
        "module_imports",
        "output_is_a_finite_float_pair",
    ]  # the basic promises first
    assert document["score"] == 4.0
    assert all(t["status"] == "passed" and t["max_score"] == 1.0 for t in tests.values())
    assert tests["step_after_is_exactly_one"]["output"] == "known deviation: known deviation (x:1)"
    assert document["output"].startswith("alice: CONFORMS (3 passed, 1 known deviation")
    assert "\n" not in document["output"]

    learn = graders.prairielearn_results(_conforming(), ALICE, {}, {})
    _check_prairielearn(learn)
    assert learn["gradable"] is True and learn["score"] == 1.0
    assert learn["message"] == document["output"]
    assert "zero_lr_keeps_initial_loss" in learn["output"]  # the matrix


def test_a_failing_submission_scores_what_passed_and_says_why_the_rest_did_not() -> None:
    document = graders.gradescope_results(_failing(), ALICE, {"alice": ["row_order"]}, {})
    _check_gradescope(document)
    tests = {t["name"]: t for t in document["tests"]}
    assert set(tests) == {
        "module_imports",
        "output_is_a_finite_float_pair",
        "zero_lr_keeps_initial_loss",
        "step_after_is_exactly_one",
        "inputs_are_not_modified",
        "row_order",
    }
    assert document["score"] == 1.0
    assert [t["name"] for t in document["tests"] if t["status"] == "passed"] == ["module_imports"]
    assert all(t["score"] == 0.0 and t["max_score"] == 1.0 for t in document["tests"][1:])
    failed = tests["zero_lr_keeps_initial_loss"]["output"]
    assert failed == f"AssertionError: 2 != 1\n\n{REPRO}"
    assert tests["step_after_is_exactly_one"]["output"] == f"blocked by: {CAUSE}"
    assert tests["inputs_are_not_modified"]["output"] == (
        "not run: alice already failed 2 properties"
    )
    assert tests["row_order"]["output"] == "not run: not selected (-k or -m)"
    assert document["output"].startswith("alice: DOES NOT CONFORM (1 passed, 2 failed, 1 blocked")

    learn = graders.prairielearn_results(_failing(), ALICE, {"alice": ["row_order"]}, {})
    _check_prairielearn(learn)
    assert learn["gradable"] is True
    assert learn["score"] == pytest.approx(1 / 6)
    by_name = {t["name"]: t for t in learn["tests"]}
    assert by_name["zero_lr_keeps_initial_loss"]["message"] == "AssertionError: 2 != 1"
    assert by_name["zero_lr_keeps_initial_loss"]["output"].endswith(REPRO)
    assert by_name["step_after_is_exactly_one"]["message"] == f"blocked by: {CAUSE}"


def test_a_property_left_undone_makes_the_verdict_incomplete_and_scores_nothing() -> None:
    verdicts = [
        verdict("module_imports", basic=True),
        verdict("zero_lr_keeps_initial_loss", "skipped", message="the verdict budget was spent"),
    ]
    document = graders.gradescope_results(verdicts, ALICE, {}, {})
    _check_gradescope(document)
    assert document["output"].startswith("alice: INCOMPLETE (1 passed, 1 skipped)")
    (skipped,) = [t for t in document["tests"] if t["name"] == "zero_lr_keeps_initial_loss"]
    assert (skipped["score"], skipped["status"]) == (0.0, "failed")
    assert skipped["output"] == "not run: the verdict budget was spent"


def test_weights_set_each_property_s_points_and_zero_keeps_it_listed() -> None:
    weights = {"zero_lr_keeps_initial_loss": 3.0, "module_imports": 0.0}
    document = graders.gradescope_results(_failing(), ALICE, {}, weights)
    _check_gradescope(document)
    tests = {t["name"]: t for t in document["tests"]}
    assert (tests["module_imports"]["score"], tests["module_imports"]["max_score"]) == (0.0, 0.0)
    assert tests["module_imports"]["status"] == "passed"
    assert tests["zero_lr_keeps_initial_loss"]["max_score"] == 3.0
    assert document["score"] == 0.0

    learn = graders.prairielearn_results(_conforming(), ALICE, {}, weights)
    _check_prairielearn(learn)
    assert learn["score"] == 1.0
    # module_imports 0, output contract 1, zero_lr 3, the known deviation 1; n/a left out.
    assert sum(t["max_points"] for t in learn["tests"]) == 5.0


def test_several_implementations_are_one_submission_with_named_entries() -> None:
    verdicts = [
        *_conforming(),
        verdict("module_imports", "failed", "bob", basic=True, message="AssertionError: boom"),
        verdict("zero_lr_keeps_initial_loss", "blocked", "bob", blocked_by="the import"),
    ]
    both = [*ALICE, ("bob", "/submissions/bob.py")]
    document = graders.gradescope_results(verdicts, both, {}, {})
    _check_gradescope(document)
    names = [t["name"] for t in document["tests"]]
    assert names[0] == "alice: module_imports" and "bob: zero_lr_keeps_initial_loss" in names
    assert all(name.startswith(("alice: ", "bob: ")) for name in names)
    assert document["output"].splitlines()[1].startswith("bob: DOES NOT CONFORM")
    learn = graders.prairielearn_results(verdicts, both, {}, {})
    _check_prairielearn(learn)
    assert learn["gradable"] is True  # alice could be judged
    assert learn["score"] == pytest.approx(4 / 6)


def test_prairielearn_says_not_gradable_when_nothing_could_be_judged() -> None:
    """As for a syntax error: no score and no attempt spent, with the cause to fix."""
    verdicts = [
        verdict("module_imports", "failed", basic=True, message="AssertionError: SyntaxError"),
        verdict("zero_lr_keeps_initial_loss", "blocked", blocked_by="the import failed"),
    ]
    learn = graders.prairielearn_results(verdicts, ALICE, {}, {})
    _check_prairielearn(learn)
    assert learn["gradable"] is False
    assert learn["format_errors"] == ["alice: AssertionError: SyntaxError"]
    nothing = graders.prairielearn_results([], ALICE, {}, {})
    _check_prairielearn(nothing)
    assert (nothing["gradable"], nothing["format_errors"]) == (False, ["alice: no property ran"])
    gradescope = graders.gradescope_results([], ALICE, {}, {})
    _check_gradescope(gradescope)
    assert gradescope["output"] == "alice: INCOMPLETE (no property ran)"


def test_the_suite_s_property_names_are_read_from_its_modules() -> None:
    names = graders.property_names(SUITE)
    sources = [module.read_text() for module in SUITE.glob("test_*.py")]
    assert {"module_imports", "output_is_a_finite_float_pair"} <= names
    assert len(names) == sum(source.count("\ndef test_") for source in sources)
    assert all(any(f"\ndef test_{name}(" in source for source in sources) for name in names)


def test_a_weights_file_is_a_toml_table_of_property_names(tmp_path: Path) -> None:
    path = tmp_path / "weights.toml"
    path.write_text(
        "# points per property\n[weights]\nmodule_imports = 0\n"
        '"zero_lr_keeps_initial_loss" = 2.5  # quoted keys are TOML too\n'
    )
    weights = graders.read_weights(path, graders.property_names(SUITE))
    assert weights == {"module_imports": 0.0, "zero_lr_keeps_initial_loss": 2.5}


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (
            "[weights]\nmodule_imports = 1\nmodule_import = 2\n",
            ":3: unknown property 'module_import' (did you mean 'module_imports'?)",
        ),
        ("[weights]\nmodule_imports = -1\n", ":2: the weight of module_imports must be a "
         "number >= 0, got -1"),
        ("[weights]\n\nmodule_imports = true\n", ":3: the weight of module_imports must be a "
         "number >= 0, got True"),
        ('[weights]\nmodule_imports = "2"\n', ":2: the weight of module_imports must be a "
         "number >= 0, got '2'"),
        ("[weights]\nmodule_imports = nan\n", ":2: the weight of module_imports must be a "
         "number >= 0, got nan"),
        ("[weight]\nmodule_imports = 1\n", ":1: unexpected 'weight': the file holds one [weights]"),
        ("[weights.module_imports]\nx = 1\n", ":1: the weight of module_imports must be a "
         "number >= 0, got {'x': 1}"),
        ("[weights]\nmodule_imports =\n", ": not a TOML file (Invalid value (at line 2, column"),
        ("weights = 3\n", ": expected a [weights] table of 'property = points' lines"),
        ("", ": expected a [weights] table of 'property = points' lines"),
    ],
)  # fmt: skip
def test_a_bad_weights_file_is_one_line_naming_the_line(
    tmp_path: Path, text: str, error: str
) -> None:
    path = tmp_path / "weights.toml"
    path.write_text(text)
    with pytest.raises(graders.WeightsError) as raised:
        graders.read_weights(path, graders.property_names(SUITE))
    assert str(raised.value).startswith(f"--trainstate-weights {path}{error}")
    assert "\n" not in str(raised.value)


def test_a_bad_weights_file_stops_the_run_with_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", weights="[weights]\nmodule_imports = 1\nrow_order = 2\n")
    result = pytester.runpytest_subprocess("--trainstate-weights", "weights.toml", "--co")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: --trainstate-weights weights.toml:3: unknown property 'row_order'*"]
    )


@pytest.fixture
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's ``suite_cache_dir`` (``tests/conftest.py``), found without xdist's
    ``worker_id`` fixture, so that this module also runs under ``-p no:xdist``."""
    base = tmp_path_factory.getbasetemp()
    return (base.parent if base.name.startswith("popen-gw") else base) / "suite-pytest-cache"


@pytest.mark.usefixtures("quick_profile")
def test_command_line_writes_both_platforms_results(
    tmp_path: Path, repo: Path, cache_dir: Path, meta_profile_dir: Path
) -> None:
    """Two implementations, one conforming, one killed at its first property: one submission."""
    # The working directory and the profile's are on the hosts' sys.path: directories only
    # their owner can read (pytest's) would keep them out of the sandbox where root grades.
    for directory in (tmp_path, meta_profile_dir):
        directory.chmod(0o755)
    weights = tmp_path / "weights.toml"
    weights.write_text("[weights]\nmodule_imports = 0\noutput_is_a_finite_float_pair = 2\n")
    gradescope, prairielearn = tmp_path / "gs" / "results.json", tmp_path / "pl" / "results.json"
    done = subprocess.run(
        [sys.executable, "-m", "conformance",
         str(repo / "implementations/correct/pure_jax.py"),
         str(repo / "implementations/mutants/returns_list.py"),
         "--workers", "2", "--cache-dir", str(cache_dir),
         "--gradescope", str(gradescope), "--prairielearn", str(prairielearn),
         "--weights", str(weights),
         "--", *meta_profile.PINS_ARGS, "--trainstate-maxfail", "1"],
        cwd=tmp_path, capture_output=True, text=True, timeout=1500, env=os.environ,
    )  # fmt: skip
    tail = done.stdout[-4000:] + done.stderr[-4000:]
    assert done.returncode == 1, tail

    document = json.loads(gradescope.read_text())
    _check_gradescope(document)
    lines = document["output"].splitlines()
    assert lines[0].startswith("pure_jax: CONFORMS (") and len(lines) == 2, lines
    assert lines[1].startswith("returns_list: DOES NOT CONFORM ("), lines
    tests = {t["name"]: t for t in document["tests"]}
    correct = [t for name, t in tests.items() if name.startswith("pure_jax: ")]
    mutant = [t for name, t in tests.items() if name.startswith("returns_list: ")]
    assert len(correct) + len(mutant) == len(tests)
    assert all(t["status"] == "passed" and t["score"] == t["max_score"] for t in correct)
    assert tests["pure_jax: module_imports"]["max_score"] == 0.0
    assert tests["pure_jax: output_is_a_finite_float_pair"]["max_score"] == 2.0
    failed = [t for t in mutant if t["status"] == "failed" and "not run: " not in t["output"]]
    assert failed, mutant
    assert any("--trainstate-maxfail 1" in t["output"] for t in mutant), mutant

    learn = json.loads(prairielearn.read_text())
    _check_prairielearn(learn)
    assert learn["gradable"] is True and 0.0 < learn["score"] < 1.0
    assert learn["message"] == document["output"]
    assert [t["name"] for t in learn["tests"]] == [t["name"] for t in document["tests"]]


def test_prairielearn_grades_a_module_that_lacks_or_hides_what_is_required() -> None:
    """It imported: scored (an attempt spent), not "not gradable" like a syntax error."""
    verdicts = [
        verdict(
            "module_imports",
            "failed",
            basic=True,
            message="RequirementNotMet: alice defines no TrainState, and the assignment "
            "requires one (--trainstate-require train_state)",
        ),
        verdict("zero_lr_keeps_initial_loss", "passed"),
        verdict("params_and_opt_state_follow_the_optax_loop", "blocked", blocked_by="x"),
    ]
    learn = graders.prairielearn_results(verdicts, ALICE, {}, {})
    _check_prairielearn(learn)
    assert learn["gradable"] is True and "format_errors" not in learn
    assert 0 < learn["score"] < 1
