"""Side-by-side speed benchmark: the suite against the reference vs the naive peer suite.

Run from the repository root:  python benchmarks/speed.py [--peer PATH] [--runs-warm N]

In one run on one machine it measures and prints:
1. the bare draw rate of the suite's strategies (Hypothesis drawing problems, no test
   body): the ceiling, per core and for the xdist workers together;
2. the suite with ``-n auto`` against the reference: cold (empty JAX compilation cache,
   no Hypothesis database) and warm (cache kept): wall time, examples, examples/s;
3. the naive peer suite with ``-n auto``: examples/s (from its NAIVE_COUNT_DIR counts);
4. the ratios suite/peer and suite/ceiling, and the number of distinct programs XLA
   compiled (entries of the persistent compilation cache after the cold run).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_PEER = REPO.parent / "shared" / "peers" / "naive_suite"


def bare_draw_rate(examples: int = 1000) -> float:
    """Examples per second that Hypothesis draws from ``problems()`` with an empty body."""
    sys.path.insert(0, str(REPO))
    from hypothesis import Phase, given, settings

    from strategies.problems import problems

    @settings(max_examples=examples, database=None, deadline=None, phases=[Phase.generate])
    @given(problem=problems())
    def draw_only(problem: object) -> None:
        pass

    draw_only()  # warm-up: imports, strategy construction
    start = time.perf_counter()
    draw_only()
    return examples / (time.perf_counter() - start)


def run_suite(cache_dir: Path, *, cold: bool, profile: str) -> dict[str, float]:
    if cold:
        shutil.rmtree(cache_dir, ignore_errors=True)
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        command = [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-n",
            "auto",
            "-o",
            f"cache_dir={cache_dir}",
            f"--hypothesis-profile={profile}",
            "--conformance-report",
            str(report),
        ]
        start = time.perf_counter()
        done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
        wall = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"suite failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        results = json.loads(report.read_text())["results"]
    examples = sum(r["examples"] or 0 for r in results)
    return {"wall": wall, "examples": examples, "rate": examples / wall}


def run_peer(peer: Path) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as counts:
        env = dict(os.environ, NAIVE_COUNT_DIR=counts)
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "auto"],
            cwd=peer,
            env=env,
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"peer suite failed:\n{done.stdout[-3000:]}")
        examples = sum(int(p.read_text().split()[0]) for p in Path(counts).glob("*.count"))
    return {"wall": wall, "examples": examples, "rate": examples / wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer", type=Path, default=DEFAULT_PEER)
    parser.add_argument("--runs-warm", type=int, default=2)
    parser.add_argument("--profile", default="dev")
    args = parser.parse_args()

    workers = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        cache_dir = Path(tmp) / "pytest-cache"
        draw = bare_draw_rate()
        cold = run_suite(cache_dir, cold=True, profile=args.profile)
        jax_cache = cache_dir / "d" / "trainstate-jax-compilation-cache"
        programs = sum(1 for p in jax_cache.rglob("*") if p.is_file()) if jax_cache.exists() else 0
        warm = [
            run_suite(cache_dir, cold=False, profile=args.profile) for _ in range(args.runs_warm)
        ]
    peer = run_peer(args.peer) if args.peer.exists() else None

    best_warm = min(warm, key=lambda r: r["wall"])
    ceiling = draw * workers
    print(f"machine: {workers} cores; profile {args.profile}; xdist -n auto")
    print(
        f"bare draw rate of problems(): {draw:.0f} examples/s per core, "
        f"ceiling {ceiling:.0f} examples/s on {workers} workers"
    )
    print(
        f"suite cold: {cold['wall']:.1f} s, {cold['examples']:.0f} examples, "
        f"{cold['rate']:.0f} examples/s; {programs} programs compiled into the persistent cache"
    )
    for i, r in enumerate(warm, 1):
        print(
            f"suite warm #{i}: {r['wall']:.1f} s, {r['examples']:.0f} examples, "
            f"{r['rate']:.0f} examples/s"
        )
    if peer is not None:
        print(
            f"naive peer: {peer['wall']:.1f} s, {peer['examples']:.0f} examples, "
            f"{peer['rate']:.1f} examples/s"
        )
        print(
            f"suite/peer (warm): {best_warm['rate'] / peer['rate']:.1f}x; "
            f"suite/peer (cold): {cold['rate'] / peer['rate']:.1f}x"
        )
    print(
        f"suite/ceiling (warm): {best_warm['rate'] / ceiling:.0%}; "
        f"(cold): {cold['rate'] / ceiling:.0%}"
    )


if __name__ == "__main__":
    main()
