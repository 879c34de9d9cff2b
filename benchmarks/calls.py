"""What a verdict costs: calls into the implementation per profile, and grading an eager one.

Run from the repository root:

    python benchmarks/calls.py [--profiles trainstate-ci trainstate-dev] [--fast]
                               [--baseline REV] [--grading-runs N]

In one run on one machine it measures and prints:

1. for each profile, one run of the suite over every bundled implementation
   (``tools/kill_matrix.py``): the calls of ``one_step``, ``create`` and
   ``apply_gradients`` that the verdict of the reference, of the eager recipe
   (``implementations/correct/eager_recipe.py``) and of the whole bundled set
   cost, and how many mutants were killed and correct implementations passed
   (``ts_flax`` is Flax's own TrainState in the canonical recipe: the reference),
   then the kill matrix with each implementation's calls.  ``--fast`` judges each
   implementation only until its first failed property (``--trainstate-maxfail
   1``, as a grader would): a mutant's calls are then those of its first failure,
   a correct implementation's those of its full verdict.
   Calls come from the JSON report and do not depend on the machine;
2. grading the eager recipe with ``python -m conformance`` (cold, as a grader
   runs it), with this checkout and with the suite as it was at ``--baseline``
   (installed with ``pip install --no-deps --target`` into a temporary
   directory put first on ``PYTHONPATH``), alternating, ``--grading-runs``
   times each: wall time, and the ratio;
3. the floor: grading the closed-form NumPy implementation the same way, with
   this checkout.  It compiles nothing per shape and answers a call in
   microseconds, so its time is what a grading run costs whatever the
   submission: starting pytest, its workers, the hosts, JAX and Flax in each.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from speed import REPO, Environment, run_grading

from conformance.reporting.verdicts import total_calls

sys.path.insert(0, str(REPO / "tools"))
from kill_matrix import markdown
from kill_matrix import run as kill_matrix

DEFAULT_BASELINE = "bea6a4c"
"""The suite before its calls were cut (2,792 calls of ``one_step`` per verdict under ``ci``)."""


def calls_table(profiles: list[str], fast: bool) -> list[str]:
    lines = [
        "| profile | ts_flax (Flax's TrainState) | eager recipe | all bundled | mutants killed "
        "| correct passing |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for profile in profiles:
        rows, wall = kill_matrix(fast, "auto", [], profile)
        by_name = {row.name: row for row in rows}
        total = total_calls(row.calls for row in rows)
        mutants = [r for r in rows if r.kind == "mutant"]
        correct = [r for r in rows if r.kind == "correct"]
        lines.append(
            f"| {profile} | {_shown(by_name['ts_flax'].calls)} | "
            f"{_shown(by_name['eager_recipe'].calls)} | {_shown(total)} | "
            f"{sum(bool(r.failed) for r in mutants)}/{len(mutants)} | "
            f"{sum(not r.failed for r in correct)}/{len(correct)} |"
        )
        print(f"\n{profile}: one run over {len(rows)} implementations in {wall:.0f} s")
        print("\n".join(markdown(rows)), flush=True)
    return lines


def _shown(calls: dict[str, int]) -> str:
    return ", ".join(f"{count} {name}" for name, count in calls.items()) or "-"


def install_baseline(revision: str, target: Path) -> None:
    """The suite at ``revision``, installed without dependencies into ``target``."""
    source = target.parent / "source"
    source.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", revision], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(source)], input=archive, check=True)
    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target"]
    subprocess.run([*pip, str(target), str(source)], check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", nargs="*", default=["trainstate-ci", "trainstate-dev"])
    parser.add_argument("--fast", action="store_true", help="stop each at its first failure")
    parser.add_argument("--baseline", default=DEFAULT_BASELINE, help="git revision to compare")
    parser.add_argument("--grading-runs", type=int, default=2, help="0: skip the timing")
    args = parser.parse_args()
    if args.profiles:
        print("\n" + "\n".join(calls_table(args.profiles, args.fast)), flush=True)
    if args.grading_runs <= 0:
        return
    with tempfile.TemporaryDirectory() as tmp:
        baseline = Path(tmp) / "baseline"
        install_baseline(args.baseline, baseline)
        now = Environment(Path(tmp) / "pycache-now")
        before = Environment(Path(tmp) / "pycache-before", pythonpath=str(baseline))
        times: dict[str, list[float]] = {"baseline": [], "now": [], "floor": []}
        for _ in range(args.grading_runs):
            times["baseline"].append(run_grading(["eager_recipe"], before))
            times["now"].append(run_grading(["eager_recipe"], now))
            times["floor"].append(run_grading(["numpy_float64"], now))
    old, new, floor = (statistics.median(times[k]) for k in ("baseline", "now", "floor"))
    shown = {k: ", ".join(f"{t:.1f}" for t in v) for k, v in times.items()}
    print(
        f"\ngrading the eager recipe (python -m conformance, cold, median of "
        f"{args.grading_runs}): {args.baseline} {old:.1f} s ({shown['baseline']}); now "
        f"{new:.1f} s ({shown['now']}); {old / new:.2f}x faster\n"
        f"the floor, grading numpy_float64 now: {floor:.1f} s ({shown['floor']})"
    )


if __name__ == "__main__":
    main()
