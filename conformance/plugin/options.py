"""The plugin's command-line options, all under one prefix, ``--trainstate-``.

This module imports nothing of the suite: :mod:`pytest_trainstate` loads it by
its path, so that the options exist (and a session that asks for the suite
gets a one-line error) even where another package named ``conformance``
hides the suite's.

Every name is the suite's own: ``--impl`` is one that course and exercise
repositories define in their own ``conftest.py`` for the same idea, and
array-api-tests defines ``--xfails-file`` and ``--skips-file``; two
definitions of one option stop pytest before it starts.
"""

from __future__ import annotations

import os
from typing import Any

PREFIX = "--trainstate-"
ENV_VAR = "TRAINSTATE_IMPL"
SANDBOX_CHOICES = ("auto", "bwrap", "none")
DEVICE_CHOICES = ("cpu", "accelerator")
MATMUL_PRECISION_CHOICES = ("float32", "tensorfloat32", "bfloat16")
"""JAX's names, as :data:`conformance.properties.matmul_precision.PRECISIONS` has them."""
DEFAULT_MEMORY_LIMIT = "16G"
"""Address space, not memory in use: a correct TrainState that jit-compiles its update
per optimizer and structure mapped 4.3 GB (3.0 GB resident) over a default run, and its
host died at the 4G this was, of LLVM's "Unable to allocate section memory".  The
reference's host maps 1.9 GB.  Runaway allocations (64 GiB at once) still fail."""
DEFAULT_CALL_TIMEOUT = 60.0
"""Seconds one call may take; generous, because the first call on a shape compiles."""


def add_options(parser: Any) -> None:
    group = parser.getgroup("trainstate-conformance")
    group.addoption(
        "--trainstate-impl",
        action="append",
        default=[],
        metavar="SPEC",
        dest="trainstate_impl",
        help=(
            "implementation to test: a dotted module name or a path to a .py file defining "
            "one_step and/or TrainState, or reference (the built-in one); repeatable. Default: "
            f"${ENV_VAR} (comma-separated), else the built-in reference. With no test paths, "
            "runs the suite's properties only."
        ),
    )
    group.addoption(
        "--trainstate-sandbox",
        choices=SANDBOX_CHOICES,
        default="auto",
        dest="trainstate_sandbox",
        help="run each implementation under bubblewrap: auto (when bwrap works here, the "
        "default), bwrap (required), none",
    )
    group.addoption(
        "--trainstate-require",
        action="append",
        choices=("one_step", "train_state"),
        default=[],
        dest="trainstate_require",
        help="what the assignment requires every implementation to define; repeatable. A "
        "required one that a module lacks is a failure, and the properties that need it are "
        "blocked, not 'not applicable'",
    )
    group.addoption(
        "--trainstate-trust-submissions",
        action="store_true",
        default=False,
        dest="trainstate_trust_submissions",
        help="the implementations are trusted: where the suite runs as root and no "
        "unprivileged user can run them, run them as root rather than stop",
    )
    group.addoption(
        "--trainstate-device",
        choices=DEVICE_CHOICES,
        default="cpu",
        dest="trainstate_device",
        help="where the implementations' processes run JAX: cpu (the default, so that a "
        "laptop, a GPU machine and CI give the same verdict) or accelerator (JAX's default "
        "platform, memory not preallocated); the suite's own processes stay on the CPU",
    )
    group.addoption(
        "--trainstate-matmul-precision",
        choices=MATMUL_PRECISION_CHOICES,
        default=None,
        dest="trainstate_matmul_precision",
        help="the precision the implementations' float32 matmuls may use (JAX's names); the "
        "tolerance follows it. Default: float32 on the CPU; on an accelerator, its default "
        "(tensorfloat32 on a GPU, bfloat16 on a TPU)",
    )
    group.addoption(
        "--trainstate-memory-limit",
        default=DEFAULT_MEMORY_LIMIT,
        metavar="SIZE",
        dest="trainstate_memory_limit",
        help=f"address space an implementation's process may use (default {DEFAULT_MEMORY_LIMIT}; "
        "0: no limit)",
    )
    group.addoption(
        "--trainstate-in-process",
        action="store_true",
        default=False,
        dest="trainstate_in_process",
        help="import the implementations into pytest's own processes, e.g. to debug them "
        "with pdb: this trusts their code, and a crash or hang takes the run down",
    )
    group.addoption(
        "--trainstate-report",
        metavar="PATH",
        default=None,
        dest="trainstate_report",
        help="write the verdict of every property for every implementation to PATH as JSON",
    )
    group.addoption(
        "--trainstate-call-timeout",
        type=float,
        default=DEFAULT_CALL_TIMEOUT,
        metavar="SECONDS",
        dest="trainstate_call_timeout",
        help="fail a call of an implementation that takes longer than this; its process is "
        f"killed (default {DEFAULT_CALL_TIMEOUT:g}; 0: no limit)",
    )
    group.addoption(
        "--trainstate-maxfail",
        type=int,
        default=0,
        metavar="N",
        dest="trainstate_maxfail",
        help="skip the remaining properties of an implementation once N of them failed "
        "(per process: under xdist each worker counts its own); 0: never",
    )
    group.addoption(
        "--trainstate-verdict-budget",
        type=float,
        default=None,
        metavar="SECONDS",
        dest="trainstate_verdict_budget",
        help="give the verdict within SECONDS of wall time: every property runs its pinned "
        "examples and corpus first, then draws within its share; a property not started in "
        "time makes the verdict INCOMPLETE",
    )
    for kind, meaning in (
        ("xfails", "that are known to fail: marked xfail (see README)"),
        ("skips", "not to run: skipped as known deviations"),
    ):
        group.addoption(
            f"--trainstate-{kind}-file",
            action="append",
            default=[],
            metavar="PATH",
            dest=f"trainstate_{kind}_file",
            help=f"file of test-id patterns {meaning}",
        )
    group.addoption(
        "--trainstate-known-failures-as-skips",
        action="store_true",
        default=False,
        dest="trainstate_known_failures_as_skips",
        help="skip the tests of --trainstate-xfails-file instead of running them as xfail",
    )
    group.addoption(
        "--trainstate-corpus",
        metavar="PATH",
        default=None,
        dest="trainstate_corpus",
        help="regression corpus (JSON lines): replayed before drawing, failures appended",
    )
    group.addoption(
        "--trainstate-no-jax-cache",
        action="store_true",
        default=False,
        dest="trainstate_no_jax_cache",
        help="do not use JAX's persistent compilation cache in pytest's cache directory",
    )
    group.addoption(
        "--trainstate-gradescope",
        metavar="PATH",
        default=None,
        dest="trainstate_gradescope",
        help="write Gradescope's autograder results.json to PATH: one test per property, "
        "worth its weight; with several implementations, one score for all, a test per "
        "implementation and property",
    )
    group.addoption(
        "--trainstate-prairielearn",
        metavar="PATH",
        default=None,
        dest="trainstate_prairielearn",
        help="write a PrairieLearn external grader's results.json to PATH (score 0..1; "
        "several implementations are graded as one submission, as for Gradescope)",
    )
    group.addoption(
        "--trainstate-weights",
        metavar="PATH",
        default=None,
        dest="trainstate_weights",
        help="points per property in the grader results files: a TOML [weights] table of "
        "'property = number >= 0' lines (default 1 each; 0 lists it without points)",
    )


def requested_specs(option: Any) -> list[str]:
    """The specs from ``--trainstate-impl``, else ``$TRAINSTATE_IMPL``; empty when neither.

    ``option`` is pytest's parsed option namespace (``config.option`` or the
    early ``known_args_namespace``).
    """
    specs = [s.strip() for s in getattr(option, "trainstate_impl", None) or [] if s.strip()]
    if specs:
        return specs
    return [s.strip() for s in os.environ.get(ENV_VAR, "").split(",") if s.strip()]
