"""``python -m conformance IMPL [IMPL ...]``: the verdict for graders and CI.

Runs the whole suite in parallel (``-n auto``) on the given implementations
(dotted module names or ``.py`` paths), prints the verdict matrix, and exits
with 0 only when every implementation ``CONFORMS``; 1 when one does not, or
is ``INCOMPLETE``; pytest's own code (4: usage error, 2: interrupted, ...)
when the run itself did not happen.  The exit code is decided here, from the
verdicts, in this process, which never runs an implementation's code.
Arguments after ``--`` go to pytest unchanged, e.g. ``-- --hypothesis-seed=1``.

Each implementation runs in a sandbox (bubblewrap) where one can be had, and
a submission that cannot be imported fails its own verdict without stopping
the others.  Nothing is written to the working directory:
pytest's cache (with JAX's compilation cache, which the judging processes
and every submission's private copy of it share within the run) and
Hypothesis's storage (its example database, the constants it collects from
the suite's modules) go to a temporary directory that is removed
afterwards, so that no grading run can affect the next.  ``--cache-dir PATH``
keeps pytest's cache, and with it the JAX cache of the judging processes and
of the built-in reference, in ``PATH`` between runs: a grader who runs the
suite once per submission then compiles the suite's own programs only once.
Submissions only ever get a private copy of that cache.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import pytest

from conformance.isolation.service import is_file_spec
from conformance.plugin.options import DEVICE_CHOICES, MATMUL_PRECISION_CHOICES, SANDBOX_CHOICES
from conformance.properties.profiles import PROFILES

SUITE = Path(__file__).resolve().parent
_NOT_REWRITTEN = (
    "ignore:Module already imported so cannot be rewritten:pytest.PytestAssertRewriteWarning"
)

HYPOTHESIS_STORAGE = "HYPOTHESIS_STORAGE_DIRECTORY"
ADDOPTS = "PYTEST_ADDOPTS"


def build_arguments(argv: list[str], scratch: Path) -> list[str]:
    """The pytest command line for ``argv``; ``scratch`` is the run's temporary directory.

    The run is the suite's alone: no configuration file of the working
    directory (``-c`` names an empty one) and pytest's rootdir is the suite's
    own, so a project's ``addopts``, ``testpaths`` or ``python_files`` change
    nothing; ``PYTEST_ADDOPTS`` is put aside by :func:`main`.
    """
    own, _, passthrough = (
        (argv[: argv.index("--")], "--", argv[argv.index("--") + 1 :])
        if "--" in argv
        else (argv, "", [])
    )
    parser = argparse.ArgumentParser(
        prog="python -m conformance",
        description="Run the TrainState conformance suite and print the verdict.",
    )
    parser.add_argument("impls", nargs="+", metavar="IMPL", help="dotted module or .py path")
    parser.add_argument(
        "--profile",
        default="ci",
        choices=[name.removeprefix("trainstate-") for name in PROFILES],
        help="the suite's Hypothesis profile (default: ci)",
    )
    parser.add_argument("--report", metavar="PATH", help="also write the verdict as JSON")
    parser.add_argument(
        "--gradescope",
        metavar="PATH",
        help="also write Gradescope's results.json (several IMPLs: one score for all)",
    )
    parser.add_argument(
        "--prairielearn",
        metavar="PATH",
        help="also write a PrairieLearn external grader's results.json (several IMPLs: one score)",
    )
    parser.add_argument(
        "--weights",
        metavar="PATH",
        help="points per property for --gradescope and --prairielearn: a TOML [weights] table",
    )
    parser.add_argument("--workers", default="auto", help="pytest-xdist workers (default: auto)")
    parser.add_argument(
        "--sandbox",
        choices=SANDBOX_CHOICES,
        default="auto",
        help="run each implementation under bubblewrap: auto (when it works here), bwrap "
        "(required), none",
    )
    parser.add_argument(
        "--device",
        choices=DEVICE_CHOICES,
        default="cpu",
        help="where the submissions run JAX: cpu (default; the same verdict on every machine) "
        "or accelerator (the machine's GPU or TPU, its memory not preallocated)",
    )
    parser.add_argument(
        "--matmul-precision",
        choices=MATMUL_PRECISION_CHOICES,
        help="the precision the submissions' float32 matmuls may use; the tolerance follows "
        "it (default: float32 on the CPU, the device's default on an accelerator)",
    )
    parser.add_argument(
        "--require",
        action="append",
        choices=("one_step", "train_state"),
        default=[],
        help="what the assignment requires each submission to define (repeatable): a "
        "submission without it does not conform",
    )
    parser.add_argument(
        "--trust-submissions",
        action="store_true",
        help="the submissions are trusted: where the grader runs as root and no unprivileged "
        "user can run them, run them as root rather than stop",
    )
    parser.add_argument(
        "--verdict-budget",
        type=float,
        metavar="SECONDS",
        help="give the verdict within SECONDS: pins and corpus first, then draws; INCOMPLETE "
        "if a property could not start in time",
    )
    parser.add_argument(
        "--cache-dir",
        metavar="PATH",
        help="keep pytest's and JAX's compilation cache here between runs (default: none kept)",
    )
    args = parser.parse_args(own)
    (scratch / "pytest.ini").write_text("[pytest]\n")
    cache = Path(args.cache_dir).resolve() if args.cache_dir else scratch / "pytest-cache"
    command = [
        *("-c", str(scratch / "pytest.ini"), "--rootdir", str(SUITE.parent)),
        *("--pyargs", "conformance", "-q", "--tb=line"),
        # This process imported the plugin and Hypothesis to read its own options, so pytest
        # cannot rewrite their asserts; nothing of the verdict depends on that, and the
        # warning would be the grader's to puzzle over.
        *("-W", _NOT_REWRITTEN),
        *("-o", f"cache_dir={cache}", "-n", args.workers),
        f"--hypothesis-profile=trainstate-{args.profile}",
        f"--trainstate-sandbox={args.sandbox}",
    ]
    command += [f"--trainstate-impl={_absolute(impl)}" for impl in args.impls]
    for option in ("report", "gradescope", "prairielearn", "weights"):
        if getattr(args, option):
            command.append(f"--trainstate-{option}={Path(getattr(args, option)).resolve()}")
    command.append(f"--trainstate-device={args.device}")
    if args.matmul_precision:
        command.append(f"--trainstate-matmul-precision={args.matmul_precision}")
    command += [f"--trainstate-require={capability}" for capability in args.require]
    if args.trust_submissions:
        command.append("--trainstate-trust-submissions")
    if args.verdict_budget is not None:
        command.append(f"--trainstate-verdict-budget={args.verdict_budget:g}")
    return command + passthrough


def _absolute(spec: str) -> str:
    return str(Path(spec).expanduser().resolve()) if is_file_spec(spec) else spec


def exit_code(pytest_code: int, verdicts: dict[str, str]) -> int:
    """0 only when every implementation conforms; pytest's code when the run did not happen."""
    if pytest_code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) or not verdicts:
        return int(pytest_code) or int(pytest.ExitCode.NO_TESTS_COLLECTED)
    return 0 if set(verdicts.values()) == {"CONFORMS"} else 1


def main(argv: list[str] | None = None) -> int:
    with tempfile.TemporaryDirectory(prefix="trainstate-run-") as scratch:
        arguments = build_arguments(sys.argv[1:] if argv is None else argv, Path(scratch))
        saved = {name: os.environ.pop(name, None) for name in (HYPOTHESIS_STORAGE, ADDOPTS)}
        os.environ[HYPOTHESIS_STORAGE] = str(Path(scratch) / "hypothesis")
        try:
            code = pytest.main(arguments)
        finally:
            for name, value in saved.items():
                os.environ.pop(name, None)
                if value is not None:
                    os.environ[name] = value
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        # No run, and no verdicts: the usage error has said why, in one line. (Where another
        # package named conformance hides the suite, importing the verdicts would raise.)
        return exit_code(int(code), {})
    # Imported after the run: pytest imports it first, as a plugin (and rewrites its asserts).
    from conformance.plugin.verdict_hooks import session_verdicts

    return exit_code(int(code), session_verdicts())


if __name__ == "__main__":
    raise SystemExit(main())
