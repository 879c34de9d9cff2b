"""The suite in a user's environment: any directory, any --trainstate-impl form, beside other
conftests, plugins and packages of the same names.

Collection alone (``--collect-only``) shows what a run would run, and starts no
implementation's process, so these tests are quick.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

CORRECT = "from conformance.reference.flax_step import one_step\n"
PROPERTIES = 38
"""Properties the suite has: a run on one implementation collects this many tests."""


def _collected(output: str) -> int:
    match = re.search(r"(\d+) tests? collected", output)
    assert match, output[-2000:]
    return int(match.group(1))


def _collect(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """An implementation in a directory outside the checkout, beside a project of its own."""
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "my_step.py").write_text(CORRECT)
    return tmp_path / "elsewhere" / "my_step.py"


def _relative(path: Path, start: Path) -> str:
    return os.path.relpath(path, start)


@pytest.mark.parametrize("form", ["space", "equals"])
@pytest.mark.parametrize("where", ["relative", "absolute"])
def test_impl_from_the_checkout_collects_exactly_the_suite(repo, elsewhere, form, where) -> None:
    spec = _relative(elsewhere, repo) if where == "relative" else str(elsewhere)
    args = ["--trainstate-impl", spec] if form == "space" else [f"--trainstate-impl={spec}"]
    done = _collect(repo, *args)
    assert _collected(done.stdout) == PROPERTIES, done.stdout[-3000:]
    assert "tests/" not in done.stdout


@pytest.mark.parametrize("form", ["space", "equals"])
def test_impl_inside_the_checkout(repo, form) -> None:
    spec = "implementations/correct/numpy_float64.py"
    args = ["--trainstate-impl", spec] if form == "space" else [f"--trainstate-impl={spec}"]
    assert _collected(_collect(repo, *args).stdout) == PROPERTIES


USER_PROJECT = {
    "pyproject.toml": (
        "[tool.pytest.ini_options]\n"
        "testpaths = ['tests']\n"
        "python_files = ['check_*.py']\n"
        "python_functions = ['check_*']\n"
        "addopts = '-p no:randomly'\n"
    ),
    "tests/check_mine.py": "def check_mine():\n    assert True\n",
}


def _project(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


@pytest.mark.parametrize("form", ["space", "equals"])
def test_impl_from_a_user_project_ignores_its_testpaths_and_python_files(
    tmp_path, elsewhere, form
) -> None:
    project = _project(tmp_path / "project", USER_PROJECT)
    spec = _relative(elsewhere, project)
    args = ["--trainstate-impl", spec] if form == "space" else [f"--trainstate-impl={spec}"]
    done = _collect(project, *args)
    assert _collected(done.stdout) == PROPERTIES, done.stdout[-3000:]
    assert "check_mine" not in done.stdout
    # Without the suite, the project's own settings hold.
    assert _collected(_collect(project).stdout) == 1


def test_the_command_line_collects_the_suite_from_any_directory(tmp_path, elsewhere) -> None:
    project = _project(tmp_path / "project", USER_PROJECT)
    (project / "pytest.ini").write_text("[pytest]\naddopts = -k nothing_at_all\n")
    done = subprocess.run(
        [sys.executable, "-m", "conformance", _relative(elsewhere, project), "--", "--co"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTEST_ADDOPTS": "-k nothing_either"},
    )
    assert _collected(done.stdout) == PROPERTIES, done.stdout[-3000:]


ARRAY_API_CONFTEST = (
    "def pytest_addoption(parser):\n"
    "    parser.addoption('--xfails-file', action='store', default=None)\n"
    "    parser.addoption('--skips-file', action='store', default=None)\n"
    "    parser.addoption('--max-examples', action='store', default=None)\n"
    "    parser.addoption('--impl', action='store', default=None)\n"
)


def test_a_session_with_array_api_tests_option_names_starts(pytester) -> None:
    pytester.makeconftest(ARRAY_API_CONFTEST)
    pytester.makepyfile(test_array="def test_array():\n    assert True\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--xfails-file", "x.txt")
    result.assert_outcomes(passed=1)


OTHER_PROJECT_CONFTEST = (
    "import pytest\n"
    "from hypothesis import settings\n"
    "settings.register_profile('ci', max_examples=3)\n"
    "@pytest.fixture(params=['a', 'b'])\n"
    "def impl(request):\n"
    "    return request.param\n"
)
OTHER_PROJECT_TESTS = (
    "from hypothesis import given, settings, strategies as st\n"
    "def test_own_impl(impl):\n"
    "    assert impl in ('a', 'b')\n"
    "@given(st.integers())\n"
    "def test_own_profile(n):\n"
    "    assert settings().max_examples == 3\n"
    "def test_last_the_suite_imported_nothing_heavy():\n"
    "    import sys\n"
    "    assert not {'jax', 'flax', 'optax', 'ml_dtypes'} & set(sys.modules)\n"
)


def test_another_projects_session_behaves_as_without_the_suite(pytester) -> None:
    """Its own impl fixture is not parametrized by the suite, its ci profile stays its own,
    nothing of the suite shows but the plugins line, and the plugin imports none of JAX, Flax,
    Optax and ml_dtypes (its hooks run around every test of the session, and xdist's
    controller is one such session).  NumPy is not checked:
    jaxtyping, which Equinox brings, has a pytest plugin that imports it."""
    pytester.makeconftest(OTHER_PROJECT_CONFTEST)
    pytester.makepyfile(test_other=OTHER_PROJECT_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--hypothesis-profile=ci")
    result.assert_outcomes(passed=4)
    shown = [line for line in result.outlines if "trainstate" in line]
    assert [line for line in shown if not line.startswith("plugins:")] == [], shown


OWN_STRATEGIES = {
    "strategies/__init__.py": "MINE = 'the project\\'s own'\n",
    "tests/test_mine.py": "import strategies\ndef test_mine():\n    assert strategies.MINE\n",
}


def test_a_project_with_its_own_strategies_package(pytester) -> None:
    """Its tests import their own strategies, in a session that also runs the suite."""
    for name, text in OWN_STRATEGIES.items():
        (pytester.path / name).parent.mkdir(parents=True, exist_ok=True)
        (pytester.path / name).write_text(text)
    pytester.makepyfile(my_step=CORRECT)
    import conformance

    step_counter = Path(conformance.__file__).parent / "test_step_counter.py"
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--hypothesis-profile=trainstate-ci", "--trainstate-impl",
        "my_step.py", "tests", str(step_counter),
    )  # fmt: skip
    result.assert_outcomes(passed=2)


def test_a_project_with_its_own_conformance_package(pytester) -> None:
    """The project keeps its package; asking for the suite there says why it cannot run."""
    (pytester.path / "conformance").mkdir()
    (pytester.path / "conformance" / "__init__.py").write_text("THEIRS = True\n")
    pytester.makepyfile(
        test_theirs="import conformance\ndef test_theirs():\n    assert conformance.THEIRS\n"
    )
    own = pytester.runpytest_subprocess("-p", "no:cacheprovider", "test_theirs.py")
    own.assert_outcomes(passed=1)
    asked = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--trainstate-impl", "x.py")
    assert asked.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in asked.errlines if line.strip()]
    assert len(errors) == 1 and "the name 'conformance' is taken by" in errors[0], errors
    assert str(pytester.path / "conformance") in errors[0]
    # The console script imports the installed suite, whatever the working directory holds.
    pytester.makepyfile(my_step=CORRECT)
    script = [str(Path(sys.executable).parent / "trainstate-conformance"), "my_step.py"]
    graded = subprocess.run(
        [*script, "--", "--co"], cwd=pytester.path, capture_output=True, text=True
    )
    assert _collected(graded.stdout) == PROPERTIES, graded.stdout[-3000:] + graded.stderr[-3000:]
    # Unless the project is first on PYTHONPATH (pytester's run puts it there): one line too.
    shadowed = pytester.run(*script)
    assert shadowed.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in shadowed.errlines if line.strip()]
    assert len(errors) == 1 and "the name 'conformance' is taken by" in errors[0], errors


def test_the_suite_beside_a_projects_own_tests(tmp_path, elsewhere) -> None:
    """The README's form for one session of both: the project's tests and the suite's."""
    project = _project(tmp_path / "project", {"tests/test_mine.py": "def test_mine():\n    pass\n"})
    spec = _relative(elsewhere, project)
    done = _collect(project, "tests", "--pyargs", "conformance", "--trainstate-impl", spec)
    assert _collected(done.stdout) == PROPERTIES + 1, done.stdout[-3000:]
    assert "tests/test_mine.py::test_mine" in done.stdout


def _readme_example(repo: Path) -> str:
    text = (repo / "README.md").read_text()
    match = re.search(r"```python\n(# test_my_step\.py.*?)```", text, re.DOTALL)
    assert match, "the README has no example test starting with '# test_my_step.py'"
    return match.group(1)


def test_the_readme_example_runs_in_a_users_project(pytester, repo) -> None:
    (pytester.path / "my_project").mkdir()
    (pytester.path / "my_project" / "__init__.py").write_text("")
    (pytester.path / "my_project" / "train.py").write_text(CORRECT)
    pytester.makepyfile(test_my_step=_readme_example(repo))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly")
    result.assert_outcomes(passed=1)
