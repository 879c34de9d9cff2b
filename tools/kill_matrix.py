"""The kill matrix: the suite against every bundled implementation, in one run.

    python tools/kill_matrix.py            # full matrix (every property of every implementation)
    python tools/kill_matrix.py --fast     # stop each implementation at its first failure
    python tools/kill_matrix.py --profile trainstate-dev   # under another Hypothesis profile
    python tools/kill_matrix.py --emulate tensorfloat32    # as on a GPU: see below

For each implementation in ``implementations/correct`` and ``implementations/mutants``
it prints the verdict, how many properties failed, the property that failed
first (the one that needed the fewest examples) with that number of examples,
every failed property, and the calls of ``one_step`` (and of ``create`` and
``apply_gradients``) its verdict cost.  It exits with 1 if a correct
implementation fails or a mutant survives.  ``tests/test_bundled.py`` asserts the same in CI.

``--emulate PRECISION`` (``tensorfloat32``, ``bfloat16``) judges every implementation as
a GPU or TPU would run it: each is wrapped in a module (``tests/emulation.py``) that
first makes ``jax.lax.dot_general`` round its inputs as that precision does
(``implementations/precision/emulation.py``), and the run declares the precision
(``--trainstate-matmul-precision``).  A mutant must still be killed with its own
arithmetic that coarse and the tolerance that wide.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BUNDLED = REPO / "implementations"
sys.path.insert(0, str(REPO))

from conformance.plugin.collection import run_rank  # noqa: E402
from conformance.reporting.verdicts import total_calls  # noqa: E402
from tests.emulation import emulated  # noqa: E402
from tests.suite_runner import start_suite  # noqa: E402


@dataclass(frozen=True)
class Row:
    name: str
    kind: str
    failed: list[str]
    first_failed: str | None
    examples_to_first_failure: int | None
    passed: int
    skipped: int
    calls: dict[str, int]

    @property
    def verdict(self) -> str:
        if self.kind == "correct":
            return "passes" if not self.failed else "WRONGLY FAILS"
        return "killed" if self.failed else "SURVIVES"


def first_failure_order(result: dict) -> tuple[int, int, str]:
    """Fewest examples first; on a tie, the property the suite runs first (then by name).

    Results arrive in xdist's completion order, so without the tie-break the same run
    could name a different "first" property each time.
    """
    return (
        result["first_failure_at"] or 10**9,
        run_rank(result.get("markers") or []),
        result["property"],
    )


def bundled(kind: str) -> list[Path]:
    return sorted((BUNDLED / kind).glob("*.py"))


def run(
    fast: bool,
    workers: str,
    extra: list[str],
    profile: str = "trainstate-ci",
    emulate: str | None = None,
) -> tuple[list[Row], float]:
    kinds = {path.stem: kind for kind in ("correct", "mutants") for path in bundled(kind)}
    args = [
        *("-p", "no:cacheprovider", f"--hypothesis-profile={profile}"),
        *("--trainstate-call-timeout", "120", *extra),
    ]
    if fast:
        args += ["--trainstate-maxfail", "1"]
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        if emulate is not None:
            args += ["--trainstate-matmul-precision", emulate]
        for kind in ("correct", "mutants"):
            for path in bundled(kind):
                judged = emulated(path, emulate, directory) if emulate else path.relative_to(REPO)
                args += ["--trainstate-impl", str(judged)]
        suite = start_suite(args, workers=workers)
    if suite.report is None:
        raise SystemExit(f"the suite did not run:\n{suite.tail()}")
    results, wall = suite.results, suite.wall
    rows = []
    for name, kind in kinds.items():
        mine = [r for r in results if r["implementation"] == name]
        failed = [r for r in mine if r["status"] in ("failed", "blocked")]
        first = min(failed, key=first_failure_order, default=None)
        rows.append(
            Row(
                name=name,
                kind="correct" if kind == "correct" else "mutant",
                failed=sorted(r["property"] for r in failed),
                first_failed=first["property"] if first else None,
                examples_to_first_failure=first["first_failure_at"] if first else None,
                passed=sum(r["status"] == "passed" for r in mine),
                skipped=sum(r["status"] == "skipped" for r in mine),
                calls=total_calls(r["calls"] for r in mine),
            )
        )
    return rows, wall


def markdown(rows: list[Row]) -> list[str]:
    lines = [
        "| implementation | kind | verdict | failed | first failure (examples) | calls | which |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        first = f"{row.first_failed} ({row.examples_to_first_failure})" if row.first_failed else "-"
        calls = " + ".join(f"{n} {name}" for name, n in row.calls.items()) or "-"
        lines.append(
            f"| {row.name} | {row.kind} | {row.verdict} | {len(row.failed)} | {first} | "
            f"{calls} | {', '.join(row.failed) or '-'} |"
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--fast", action="store_true", help="stop each implementation at its first failure"
    )
    parser.add_argument("--workers", default="auto")
    parser.add_argument("--profile", default="trainstate-ci", help="Hypothesis profile")
    parser.add_argument(
        "--emulate",
        choices=sorted(("tensorfloat32", "bfloat16")),
        help="judge every implementation with its matmuls rounded as on a GPU or TPU",
    )
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args()
    rows, wall = run(args.fast, args.workers, args.pytest_args, args.profile, args.emulate)
    for line in markdown(rows):
        print(line)
    mutants = [r for r in rows if r.kind == "mutant"]
    correct = [r for r in rows if r.kind == "correct"]
    killed = sum(bool(r.failed) for r in mutants)
    clean = sum(not r.failed for r in correct)
    print(
        f"\nmutants killed: {killed}/{len(mutants)}; correct implementations passing: "
        f"{clean}/{len(correct)}; wall time {wall:.0f} s"
    )
    return 0 if killed == len(mutants) and clean == len(correct) else 1


if __name__ == "__main__":
    raise SystemExit(main())
