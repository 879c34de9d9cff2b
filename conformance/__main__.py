"""``python -m conformance IMPL [IMPL ...]``: the verdict for graders and CI.

Runs the whole suite in parallel (``-n auto``) on the given implementations
(dotted module names or ``.py`` paths), prints the verdict matrix, and exits
with 0 only when every implementation passes every property.  Arguments after
``--`` go to pytest unchanged, e.g. ``-- -k numpy --hypothesis-seed=1``.

By default nothing is written to the working directory (no pytest cache).
``--cache-dir PATH`` keeps pytest's cache, and with it JAX's persistent
compilation cache, in ``PATH``: a grader who runs the suite once per
submission then compiles the reference, and any program two submissions
share, only once.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pytest


def build_arguments(argv: list[str]) -> list[str]:
    """The pytest command line for ``argv``."""
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
    parser.add_argument("--profile", default="ci", help="Hypothesis profile (default: ci)")
    parser.add_argument("--report", metavar="PATH", help="also write the verdict as JSON")
    parser.add_argument("--workers", default="auto", help="pytest-xdist workers (default: auto)")
    parser.add_argument(
        "--cache-dir",
        metavar="PATH",
        help="keep pytest's and JAX's compilation cache here between runs (default: no cache)",
    )
    args = parser.parse_args(own)
    command = ["--pyargs", "conformance", "-q", "--tb=line"]
    if args.cache_dir:
        command += ["-o", f"cache_dir={Path(args.cache_dir).resolve()}"]
    else:
        command += ["-p", "no:cacheprovider"]
    command += ["-n", args.workers, f"--hypothesis-profile={args.profile}"]
    for impl in args.impls:
        command += ["--impl", impl]
    if args.report:
        command += ["--conformance-report", args.report]
    return command + passthrough


def main(argv: list[str] | None = None) -> int:
    return int(pytest.main(build_arguments(sys.argv[1:] if argv is None else argv)))


if __name__ == "__main__":
    raise SystemExit(main())
