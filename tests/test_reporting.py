"""Verdict matrix and JSON report (with and without xdist), known deviations, corpus, CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from conformance.reporting import corpus
from conformance.reporting.verdicts import format_extra_fields, skip_reason
from conformance.strategies.data import DataDescription
from conformance.strategies.edge_cases import edge_pins
from conformance.strategies.problems import Problem, threshold_of
from conformance.strategies.train_state_cases import train_state_pins as ts_pins
from tests import meta_profile
from tests.submissions import CORRECT, WRONG_STEP, built_on_correct
from tests.suite_runner import REPO, SuiteRun, jax_cache_root, start_suite

# The machinery, not a verdict's strength, is tested here: ten draws per property.
pytestmark = pytest.mark.usefixtures("quick_profile")

MODULES = ["conformance/test_step_counter.py", "conformance/test_zero_learning_rate.py"]


def _rare_problem() -> Problem:
    x = np.array([[1.25]], np.float32)
    threshold = threshold_of(x)
    return Problem(
        seed=0,
        x=x,
        y=np.zeros(1, np.float32),
        lr=0.5 * threshold,
        lr_kind="small",
        threshold=threshold,
        description=DataDescription("float32", 1.25, "pinned", "one row", "pinned", "test"),
    )


RARE = _rare_problem()
"""The one input on which ``RARE_BUG`` is wrong."""

# Wrong only on an input Hypothesis will not draw: only a corpus finds it.
RARE_BUG = built_on_correct(
    "def one_step(seed, x, y, lr):\n"
    "    out = _correct(seed, x, y, lr)\n"
    "    if x.shape == (1, 1) and x[0, 0] == np.float32(1.25):\n"
    "        return np.array([3.0, out[1]])\n"
    "    return out\n"
)


def run(pytester: pytest.Pytester, repo: Path, cache_dir: Path, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(
        *[str(repo / m) for m in MODULES],
        "-o",
        f"cache_dir={cache_dir}",
        *meta_profile.QUICK_ARGS,
        *args,
    )


def statuses(report: Path) -> dict[tuple[str, str], str]:
    results = json.loads(report.read_text())["results"]
    return {(r["implementation"], r["property"]): r["status"] for r in results}


@dataclass
class Graded:
    """A suite run on ``good`` and ``bad``, and the directory it ran in."""

    where: Path
    run: SuiteRun


def _grade_good_and_bad(
    where: Path, cache_dir: Path, meta_profile_dir: Path, workers: str | None, *args: str
) -> Graded:
    (where / "good.py").write_text(CORRECT)
    (where / "bad.py").write_text(WRONG_STEP)
    run = start_suite(
        [
            *[str(REPO / m) for m in MODULES],
            *("-o", f"cache_dir={cache_dir}", *meta_profile.QUICK_ARGS),
            *("--trainstate-impl", "good.py", "--trainstate-impl", "bad.py", *args),
        ],
        workers=workers,
        cwd=where,
        env={**os.environ, "PYTHONPATH": meta_profile.pythonpath(meta_profile_dir)},
        timeout=600,
        report=where / "report.json",
    )
    return Graded(where, run)


# Each of the two runs is read by more than one test below (a suite run is most of a test's
# time): a module-scoped fixture runs once per xdist worker that needs it.
@pytest.fixture(scope="module")
def graded_by_workers(tmp_path_factory, suite_cache_dir, meta_profile_dir) -> Graded:
    """``good`` and ``bad`` on two xdist workers, recording a corpus (``corpus.jsonl``)."""
    where = tmp_path_factory.mktemp("graded-by-workers")
    corpus_file = str(where / "corpus.jsonl")
    return _grade_good_and_bad(
        where, suite_cache_dir, meta_profile_dir, "2", "--trainstate-corpus", corpus_file
    )


@pytest.fixture(scope="module")
def graded_serially(tmp_path_factory, suite_cache_dir, meta_profile_dir) -> Graded:
    """``good`` and ``bad`` in one process, without xdist."""
    where = tmp_path_factory.mktemp("graded-serially")
    return _grade_good_and_bad(where, suite_cache_dir, meta_profile_dir, None, "-p", "no:xdist")


def _assert_every_verdict_merged(suite: SuiteRun) -> None:
    pytest.LineMatcher(suite.stdout.splitlines()).fnmatch_lines(
        [
            "*trainstate-conformance verdict*",
            "property*good*bad",
            "step_after_is_exactly_one*pass*FAIL",
            "zero_lr_keeps_initial_loss*pass*pass",
            "good: CONFORMS (2 passed) after * calls of one_step",
            "bad: DOES NOT CONFORM (1 passed, 1 failed) after * calls of one_step; "
            "failed: step_after_is_exactly_one",
        ]
    )
    document = suite.report
    assert document is not None, suite.tail()
    assert {(r["implementation"], r["property"]): r["status"] for r in suite.results} == {
        ("good", "step_after_is_exactly_one"): "passed",
        ("good", "zero_lr_keeps_initial_loss"): "passed",
        ("bad", "step_after_is_exactly_one"): "failed",
        ("bad", "zero_lr_keeps_initial_loss"): "passed",
    }
    assert document["schema"] == "trainstate-conformance/report"
    assert document["schema_version"] == 5
    assert document["hypothesis_profile"] == meta_profile.QUICK_PROFILE
    assert set(document["library_versions"]) >= {"jax", "flax", "optax", "numpy", "hypothesis"}
    failed = next(r for r in suite.results if r["status"] == "failed")
    assert failed["message"].startswith("AssertionError: step_after=2.0")
    assert failed["repro"].startswith("# Reproduce test_step_after_is_exactly_one for bad")
    assert "example: test_step_after_is_exactly_one(" in failed["falsifying_example"]
    assert failed["first_failure_at"] == 1 and failed["examples"] >= 1
    passed = next(r for r in suite.results if r["status"] == "passed")
    assert passed["examples"] >= meta_profile.QUICK_EXAMPLES


def test_matrix_and_json_report_merge_every_verdict_across_workers(graded_by_workers) -> None:
    _assert_every_verdict_merged(graded_by_workers.run)


def test_corpus_records_failures_and_replays_them_first(
    pytester, repo, suite_cache_dir, graded_by_workers
) -> None:
    # Each worker records what failed on it: the corpus holds bad's failure, and nothing of good.
    recorded = graded_by_workers.where / "corpus.jsonl"
    records = [json.loads(line) for line in recorded.read_text().splitlines()]
    assert [(r["implementation"], r["property"]) for r in records] == [
        ("bad", "step_after_is_exactly_one")
    ]

    # A rare bug fails at once on a corpus entry: the entry is replayed as the first example,
    # before the pins and draws, and the failure's snippet holds the entry's input.
    pytester.makepyfile(rare_bug=RARE_BUG)
    rare = pytester.path / "rare.jsonl"
    line = corpus.record("rare_bug", "step_after_is_exactly_one", {"problem": RARE})
    rare.write_text(line + "\n")
    report = pytester.path / "rare.json"
    replayed = run(
        pytester, repo, suite_cache_dir, "--trainstate-impl", "rare_bug.py",
        "--trainstate-corpus", str(rare), "--trainstate-report", str(report), "-p", "no:xdist",
    )  # fmt: skip
    replayed.assert_outcomes(passed=1, failed=1)
    replayed.stdout.fnmatch_lines(["*AssertionError: step_after=3.0*"])
    (failed,) = [r for r in json.loads(report.read_text())["results"] if r["status"] == "failed"]
    assert failed["first_failure_at"] == 1
    assert json.dumps(json.loads(line)["inputs"], sort_keys=True) in failed["repro"]


def test_matrix_and_json_report_merge_every_verdict_without_xdist(graded_serially) -> None:
    _assert_every_verdict_merged(graded_serially.run)


def test_repro_snippet_reproduces_the_failure(graded_serially) -> None:
    results = graded_serially.run.results
    snippet = next(r["repro"] for r in results if r["status"] == "failed")
    # In the Python it is pasted into, and hosted in a process of its own as the suite does.
    isolated = snippet.removesuffix(")") + "    isolated=True,\n)"
    for source in (snippet, isolated):
        done = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True)
        assert done.returncode == 1, done.stdout + done.stderr
        assert "AssertionError: step_after=2.0, but one apply_gradients call" in done.stderr


def test_xfails_file_marks_known_deviations_and_warns_on_stale_ids(
    pytester, repo, suite_cache_dir
) -> None:
    pytester.makepyfile(bad=WRONG_STEP)
    deviations = pytester.path / "xfails.txt"
    deviations.write_text(
        "# the port counts steps from 1\n"
        "test_step_counter.py::test_step_after_is_exactly_one[bad]  # inline comment\n"
        "test_no_such_property\n"
    )
    report = pytester.path / "report.json"
    result = run(
        pytester,
        repo,
        suite_cache_dir,
        "--trainstate-impl",
        "bad.py",
        "--trainstate-xfails-file",
        str(deviations),
        "--trainstate-report",
        str(report),
        "-p",
        "no:xdist",
    )
    result.assert_outcomes(passed=1, xfailed=1, warnings=1)
    result.stdout.fnmatch_lines(
        ["*xfails.txt:3: 'test_no_such_property' matches no collected test*"]
    )
    assert statuses(report)[("bad", "step_after_is_exactly_one")] == "known-deviation"
    as_skips = run(
        pytester,
        repo,
        suite_cache_dir,
        "--trainstate-impl",
        "bad.py",
        "--trainstate-xfails-file",
        str(deviations),
        "--trainstate-known-failures-as-skips",
        "-p",
        "no:xdist",
    )
    as_skips.assert_outcomes(passed=1, skipped=1, warnings=1)


def test_skips_file_by_property_name_skips_every_implementation(
    pytester, repo, suite_cache_dir
) -> None:
    pytester.makepyfile(bad=WRONG_STEP, good=CORRECT)
    (pytester.path / "skips.txt").write_text("test_step_after_is_exactly_one\n")
    result = run(
        pytester,
        repo,
        suite_cache_dir,
        "--trainstate-impl",
        "bad.py",
        "--trainstate-impl",
        "good.py",
        "--trainstate-skips-file",
        "skips.txt",
        "-p",
        "no:xdist",
    )
    result.assert_outcomes(passed=2, skipped=2)


def test_unreadable_deviations_or_corpus_file_is_a_usage_error(
    pytester, repo, suite_cache_dir
) -> None:
    (pytester.path / "corpus.jsonl").write_text("{not json\n")
    for args in (
        ["--trainstate-xfails-file", "missing.txt"],
        ["--trainstate-corpus", "corpus.jsonl"],
    ):
        result = run(pytester, repo, suite_cache_dir, *args)
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        assert next(line for line in result.errlines if line.strip()).startswith(
            f"ERROR: {args[0]}"
        )


UNPINNED_TRAIN_STATE_BUG = """
import jax
from flax.training import train_state

# The optimizers whose state has a trace, a squared-gradient average or a schedule's count:
# half of the catalogue, and none of the TrainState pins' (SGD, Adam, schedule-free SGD).
UNPINNED = {"TraceState", "ScaleByRmsState", "ScaleByScheduleState"}


class TrainState(train_state.TrainState):
    def apply_gradients(self, *, grads, **kwargs):
        new = super().apply_gradients(grads=grads, **kwargs)
        nodes = jax.tree_util.tree_leaves(self.opt_state, is_leaf=lambda n: hasattr(n, "_fields"))
        if self.step >= 1 and UNPINNED & {type(n).__name__ for n in nodes}:
            return new.replace(step=new.step + 1)
        return new
"""


def test_a_train_state_failure_is_recorded_and_replayed_first_under_another_seed(
    pytester, repo, suite_cache_dir
) -> None:
    """A drawn TrainState case goes into the corpus bit for bit, and the next run, seeded
    differently, fails on it before its pins (which pass) and before Hypothesis draws."""
    pytester.makepyfile(unpinned_ts=UNPINNED_TRAIN_STATE_BUG)
    recorded = pytester.path / "corpus.jsonl"
    step_property = [
        str(repo / "conformance" / "test_train_state_step.py"),
        *("--trainstate-impl", "unpinned_ts.py", "-p", "no:xdist"),
        *("-k", "step_counts_apply_gradients_calls", "--trainstate-corpus", str(recorded)),
    ]
    first = pytester.path / "first.json"
    run(
        pytester, repo, suite_cache_dir, *step_property, "--trainstate-report", str(first),
        f"--hypothesis-profile={meta_profile.KILL_PROFILE}",
    )  # fmt: skip
    (result,) = json.loads(first.read_text())["results"]
    assert result["first_failure_at"] > len(ts_pins()), "a pin has the bug: the test proves nothing"
    (line,) = recorded.read_text().splitlines()
    record = json.loads(line)
    assert record["property"] == "step_counts_apply_gradients_calls"
    assert corpus.refusal(record) is None
    case = corpus.inputs_of(record)["case"]
    assert case.k >= 2 and not case.pin

    again = pytester.path / "again.json"
    run(
        pytester, repo, suite_cache_dir, *step_property,
        "--trainstate-report", str(again), "--hypothesis-seed", "987654321",
    )  # fmt: skip
    (result,) = json.loads(again.read_text())["results"]
    assert result["status"] == "failed" and result["first_failure_at"] == 1
    assert json.dumps(record["inputs"], sort_keys=True) in result["repro"]


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        ({"lr_kind": "large"}, "is not a large learning rate"),
        ({"threshold": 1e6}, "is not the data's"),
        ({"x": np.array([[np.nan]], np.float32)}, "must be finite"),
        ({"seed": 2**40}, "outside the int32 range"),
    ],
    ids=["lr kind", "threshold", "non-finite x", "seed"],
)
def test_a_corpus_record_the_strategies_cannot_draw_is_refused(tmp_path, change, refusal) -> None:
    """Replaying it could fail a correct implementation: a record must fit the contract.
    (A refusal is a one-line usage error: test_unreadable_deviations_or_corpus_file_...)"""
    bad = tmp_path / "bad.jsonl"
    good_line = corpus.record("good", "step_after_is_exactly_one", {"problem": RARE})
    bad_line = corpus.record(
        "good", "step_after_is_exactly_one", {"problem": RARE.replace(**change)}
    )
    bad.write_text(good_line + "\n" + bad_line + "\n")
    with pytest.raises(corpus.CorpusError) as refused:
        corpus.load(bad)
    assert str(refused.value).startswith(f"--trainstate-corpus {bad}:2: refused: ")
    assert refusal in str(refused.value)


def _pool_values(strategy: object) -> list[object] | None:
    """The values a fixed-pool strategy draws (sampled_from, bounded integers, booleans)."""
    from hypothesis.strategies._internal.strategies import SampledFromStrategy

    inner = getattr(strategy, "wrapped_strategy", strategy)
    if isinstance(inner, SampledFromStrategy):
        return list(inner.elements)
    if type(inner).__name__ == "IntegersStrategy":
        return [inner.start, inner.end]  # type: ignore[attr-defined]
    if type(inner).__name__ == "BooleansStrategy":
        return [False, True]
    return None


def test_every_plain_input_a_property_draws_can_be_recorded() -> None:
    """A failure is recorded with its inputs and refused on replay when one is outside the
    corpus's domains: a run with that record would stop with a usage error. So every value
    of every fixed pool a property draws from is an input the corpus takes."""
    import importlib

    import conformance

    checked = 0
    for path in sorted(Path(conformance.__file__).parent.glob("test_*.py")):
        module = importlib.import_module(f"conformance.{path.stem}")
        for test in vars(module).values():
            given = getattr(getattr(test, "hypothesis", None), "_given_kwargs", None) or {}
            for name, strategy in given.items():
                values = _pool_values(strategy)
                for value in values or ():
                    assert name in corpus.SCALAR_INPUTS, f"{path.stem} draws {name}"
                    assert corpus.SCALAR_INPUTS[name](value), f"{path.stem}: {name}={value!r}"
                    checked += 1
    assert checked > 30


def test_a_corpus_record_whose_inputs_do_not_fit_its_property_is_not_replayed(
    pytester, repo, suite_cache_dir
) -> None:
    """A record from another version of a property names other inputs. Replayed, it would
    fail a correct implementation with the suite's own TypeError; it is skipped, with a
    warning that says why."""
    pytester.makepyfile(good=CORRECT)
    stale = pytester.path / "stale.jsonl"
    stale.write_text(
        corpus.record("good", "step_after_is_exactly_one", {"problem": RARE, "other_seed": 3})
        + "\n"
    )
    result = run(
        pytester, repo, suite_cache_dir, "--trainstate-impl", "good.py",
        "--trainstate-corpus", str(stale), "-p", "no:xdist", "-k", "step_after_is_exactly_one",
    )  # fmt: skip
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "*--trainstate-corpus: not replayed: a record of step_after_is_exactly_one for good "
            "gives the inputs other_seed, problem, but the property draws problem"
        ]
    )


def test_command_line_exit_code_is_zero_only_when_all_conform(pytester, suite_cache_dir) -> None:
    pytester.makepyfile(good=CORRECT, bad=WRONG_STEP)
    cli = [sys.executable, "-m", "conformance", "--workers", "2", "--cache-dir", suite_cache_dir]
    good = pytester.run(*cli, "good.py", "--", *meta_profile.PINS_ARGS)
    assert good.ret == 0, good.stdout.str()[-3000:]
    good.stdout.fnmatch_lines(["good: CONFORMS (*"])
    # A run where one of several does not conform exits 1 too: tests/test_tampering.py.
    bad = pytester.run(*cli, "bad.py", "--", *meta_profile.PINS_ARGS, "--trainstate-maxfail", "1")
    assert bad.ret == 1, bad.stdout.str()[-3000:]
    bad.stdout.fnmatch_lines(["bad: DOES NOT CONFORM*"])


def test_command_line_verdict_on_a_selection_is_incomplete(pytester, suite_cache_dir) -> None:
    """A verdict on some of the properties is not a verdict: -k makes it INCOMPLETE, exit 1."""
    pytester.makepyfile(good=CORRECT)
    subset = pytester.run(
        sys.executable, "-m", "conformance", "good.py", "--workers", "1",
        "--cache-dir", suite_cache_dir, "--", *meta_profile.QUICK_ARGS,
        "-k", "step_after_is_exactly_one",
    )  # fmt: skip
    assert subset.ret == 1
    subset.stdout.fnmatch_lines(["good: INCOMPLETE (1 passed, * not selected)*"])


def test_command_line_writes_nothing_and_cache_dir_keeps_the_jax_cache(pytester) -> None:
    pytester.makepyfile(good=CORRECT)
    # The judge compiles the oracle's initialisation for this property: something to cache.
    # Its pins are enough for that, and it has the fewest of the properties that call it.
    select = ["--", *meta_profile.PINS_ARGS, "-k", "zero_lr_keeps_initial_loss"]
    # pytester.run keeps the command's output in the directory's "stdout" and "stderr".
    before = {p.name for p in pytester.path.iterdir()} | {"stdout", "stderr"}
    plain = pytester.run(sys.executable, "-m", "conformance", "good.py", "--workers", "1", *select)
    plain.stdout.fnmatch_lines(["good: INCOMPLETE*"])
    written = {p.name for p in pytester.path.iterdir()} - before
    assert not written, f"the grader CLI wrote to the working directory: {written}"

    cached = pytester.run(
        sys.executable,
        "-m",
        "conformance",
        "good.py",
        "--workers",
        "1",
        "--cache-dir",
        "cache",
        *select,
    )
    cached.stdout.fnmatch_lines(["good: INCOMPLETE*"])
    jax_cache = jax_cache_root(pytester.path / "cache")
    assert any(p.is_file() for p in jax_cache.rglob("*")), "no compiled program was cached"
    assert not (pytester.path / ".hypothesis").exists()


SLOW = built_on_correct(
    "import time\n\n\n"
    "def one_step(seed, x, y, lr):\n"
    "    time.sleep(0.5)\n"
    "    return _correct(seed, x, y, lr)\n"
)
"""Correct, and 0.5 s a call: the step counter's 18 pins and 10 draws take 14 s."""
STEP_COUNTER_PINS = len(edge_pins("zero", "absolute"))


def test_verdict_budget_runs_pins_then_draws_in_time(pytester, repo, suite_cache_dir) -> None:
    pytester.makepyfile(slow=SLOW, bad=WRONG_STEP)
    report = pytester.path / "report.json"
    result = pytester.runpytest_subprocess(
        str(repo / "conformance/test_step_counter.py"),
        *("-o", f"cache_dir={suite_cache_dir}", *meta_profile.QUICK_ARGS, "-p", "no:xdist"),
        *("--trainstate-impl", "bad.py", "--trainstate-impl", "slow.py"),
        # Each gets 6 s, less than the 14 s the slow one needs: some of its draws are cut,
        # and none of its 9 s of pins.
        *("--trainstate-verdict-budget", "12", "--trainstate-report", str(report)),
    )
    result.stdout.fnmatch_lines(["bad: DOES NOT CONFORM *", "slow: CONFORMS (1 passed) *"])
    document = json.loads(report.read_text())
    assert document["verdict_budget"] == 12
    (slow,) = [r for r in document["results"] if r["implementation"] == "slow"]
    # Every pin ran, and the draws stopped at the property's share of the budget.
    assert slow["examples"] >= STEP_COUNTER_PINS and slow["not_run"] > 0
    assert slow["examples"] + slow["not_run"] == STEP_COUNTER_PINS + meta_profile.QUICK_EXAMPLES


def test_verdict_budget_spent_before_a_property_starts_is_incomplete(
    pytester, repo, suite_cache_dir
) -> None:
    pytester.makepyfile(slow=SLOW)
    result = pytester.runpytest_subprocess(
        str(repo / "conformance/test_step_counter.py"),
        str(repo / "conformance/test_zero_learning_rate.py"),
        str(repo / "conformance/test_train_state_step.py"),
        *("-o", f"cache_dir={suite_cache_dir}", *meta_profile.QUICK_ARGS, "-p", "no:xdist"),
        *("--trainstate-impl", "slow.py", "--trainstate-verdict-budget", "0.001"),
    )
    # The first property runs its pins, past the share; the second is left undone, and the
    # TrainState property still says that it does not apply.
    result.stdout.fnmatch_lines(
        [
            "slow: INCOMPLETE (1 passed, 1 skipped, 1 not applicable)*did not run to the end: "
            "zero_lr_keeps_initial_loss (slow's share of the verdict budget (0.001 s of 0.001 s, "
            "--trainstate-verdict-budget) was spent before this property ran its pinned "
            "examples)",
        ]
    )


SLOW_IMPORT = built_on_correct("import time\n\ntime.sleep(12)\n")
"""Correct, and 12 s to import: more than its share of the budget below."""


def test_a_slow_submission_spends_only_its_own_share_of_the_budget(
    pytester, repo, suite_cache_dir
) -> None:
    pytester.makepyfile(slow=SLOW_IMPORT, good=built_on_correct(""))
    result = pytester.runpytest_subprocess(
        str(repo / "conformance/test_step_counter.py"),
        str(repo / "conformance/test_zero_learning_rate.py"),
        *("-o", f"cache_dir={suite_cache_dir}", *meta_profile.QUICK_ARGS, "-p", "no:xdist"),
        # slow first: under one deadline for all, its import alone would spend the run's time.
        *("--trainstate-impl", "slow.py", "--trainstate-impl", "good.py"),
        *("--trainstate-verdict-budget", "16"),
    )
    result.stdout.fnmatch_lines(
        [
            "slow: INCOMPLETE (1 passed, 1 skipped)*share of the verdict budget (8 s of 16 s*",
            "good: CONFORMS (2 passed)*",
        ]
    )


def test_a_property_that_does_not_apply_reads_as_its_reason_alone() -> None:
    """pytest words a skip as its exception's type and message, and Hypothesis adds the
    example it ran; neither is part of why the property does not apply."""
    raw = (
        "conformance.properties.not_applicable.DoesNotApply: mod's TrainState has no field "
        "beyond Flax's five\nFailing explicit example: test_create_passes_extra_fields(\n"
        "    impl=<implementation mod>,\n)"
    )
    assert skip_reason(raw) == "mod's TrainState has no field beyond Flax's five"
    assert skip_reason("Skipped: mod defines no TrainState") == "mod defines no TrainState"


def test_the_summary_names_the_value_each_extra_field_gets() -> None:
    described = {
        "name": "mod.py:TrainState",
        "fields_hook": False,
        "fields_hook_near_miss": None,
        "extra_fields": [
            {"name": "batch_stats", "annotation": "typing.Any", "static": False,
             "required": True, "value": "the suite's choice: {'extra': float32[2]} (a pytree)"},
            {"name": "logits_fn", "annotation": "typing.Callable", "static": True,
             "required": False, "value": "its default"},
        ],
    }  # fmt: skip
    plain = {**described, "name": "flax_copy.py:TrainState", "extra_fields": []}
    assert format_extra_fields({"mod": described, "flax_copy": plain}, ["flax_copy", "mod"]) == [
        "mod: the extra fields of mod.py:TrainState (values every create gets):",
        "  batch_stats: typing.Any (required): the suite's choice: {'extra': float32[2]} "
        "(a pytree)",
        "  logits_fn: typing.Callable (static, with a default): its default",
    ]
