"""Soak: run the whole suite many times with random Hypothesis seeds on correct code.

A conformance gate that fails once in fifty runs on correct code gets switched
off, so the tolerance policy and the strategies are only done when this shows
zero failures.  Run from the repository root (slow; not part of CI):

    python benchmarks/soak.py --runs 20
    python benchmarks/soak.py --runs 5 --trainstate-impl implementations/correct/numpy_float64.py

By default every run covers the reference and every bundled correct
implementation (``implementations/correct/*.py``), each with a fresh random
``--hypothesis-seed``.  It prints one line per run and the totals: runs,
examples, failures; a failure prints its property, implementation and seed.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# The project's one way to start the suite in a subprocess (tests/suite_runner.py).
sys.path.insert(0, str(REPO))
from tests.suite_runner import start_suite  # noqa: E402


def correct_implementations() -> list[str]:
    bundled = (REPO / "implementations" / "correct").glob("*.py")
    return ["conformance.reference.flax_step", *sorted(str(p.relative_to(REPO)) for p in bundled)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument(
        "--trainstate-impl", action="append", help="default: reference + correct/*.py"
    )
    parser.add_argument(
        "--profile", default="trainstate-dev", help="Hypothesis profile (not derandomized)"
    )
    args = parser.parse_args()
    impls = args.trainstate_impl or correct_implementations()

    total_examples = total_failures = 0
    started = time.perf_counter()
    for run in range(1, args.runs + 1):
        seed = random.SystemRandom().randrange(2**32)
        command = [
            *("-p", "no:randomly", f"--hypothesis-profile={args.profile}"),
            f"--hypothesis-seed={seed}",
        ]
        for impl in impls:
            command += ["--trainstate-impl", impl]
        suite = start_suite(command)
        if suite.report is None:
            print(f"run {run}: seed {seed}: no report (exit {suite.returncode})")
            print(suite.tail(3000))
            total_failures += 1
            continue
        results = suite.results
        examples = sum(r["examples"] or 0 for r in results)
        failures = [r for r in results if r["status"] in ("failed", "blocked")]
        total_examples += examples
        total_failures += len(failures)
        print(
            f"run {run}: seed {seed}: {examples} examples, {len(failures)} failures, "
            f"{suite.wall:.0f} s",
            flush=True,
        )
        for failure in failures:
            print(
                f"  FAILED {failure['implementation']} {failure['property']}: {failure['message']}"
            )
    print(
        f"soak: {args.runs} runs, {len(impls)} implementations, {total_examples} examples, "
        f"{total_failures} failures, {time.perf_counter() - started:.0f} s"
    )
    return 1 if total_failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
