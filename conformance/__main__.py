"""``python -m conformance IMPL [IMPL ...]``: the verdict for graders and CI.

Runs the whole suite in parallel (``-n auto``) on the given implementations
(dotted module names or ``.py`` paths), prints the verdict matrix, and exits
with 0 only when every implementation passes every property.  Arguments after
``--`` go to pytest unchanged, e.g. ``-- -k numpy --hypothesis-seed=1``.
"""

from __future__ import annotations

import argparse
import sys

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
    args = parser.parse_args(own)
    command = ["--pyargs", "conformance", "-p", "no:cacheprovider", "-q", "--tb=line"]
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
