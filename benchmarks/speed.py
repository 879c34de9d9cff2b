"""Side-by-side speed benchmark: the suite against the reference vs the naive peer suite.

Run from the repository root:  python benchmarks/speed.py [--peer PATH] [--runs-warm N]

In one run on one machine it measures and prints:
1. the bare draw rate of the suite's strategies (Hypothesis drawing, no test body): for
   the one-step properties' ``problems()`` and for the TrainState properties' usual
   draw (an optimizer, params, matching grads), combined in the proportion of examples
   each family ran in the suite: the ceiling, per core and for the xdist workers;
2. the suite with ``-n auto`` against the reference: cold (empty JAX compilation cache,
   no Hypothesis database) and warm (cache kept): wall time, examples, examples/s;
3. the naive peer suite with ``-n auto``: examples/s (from its NAIVE_COUNT_DIR counts);
4. the ratios suite/peer and suite/ceiling, and the number of distinct programs XLA
   compiled (entries of the persistent compilation cache after the cold run);
5. the marginal rate: the suite warm at ``--more-examples`` examples per property
   as well, so that (extra examples) / (extra time) is the cost of one more
   example, and what remains of the default run is the fixed cost of a run
   (start-up, each worker's tracing and compiles, shut-down).
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
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_PEER = REPO.parent / "shared" / "peers" / "naive_suite"
sys.path.insert(0, str(REPO))  # the suite's strategies and profiles


def bare_draw_rates(examples: int = 1000) -> dict[str, float]:
    """Examples per second Hypothesis draws, with an empty body, for each property family."""
    from hypothesis import Phase, given, settings
    from hypothesis import strategies as st

    from strategies.optimizers import optimizers
    from strategies.problems import problems
    from strategies.pytrees import grads, params

    @st.composite
    def train_state_draw(draw: st.DrawFn) -> object:
        """What most TrainState properties draw: ``tx``, ``params`` and matching ``grads``."""
        draw(optimizers())
        p = draw(params())
        return draw(grads(p.spec))

    rates = {}
    for family, strategy in (("one_step", problems()), ("train_state", train_state_draw())):

        @settings(max_examples=examples, database=None, deadline=None, phases=[Phase.generate])
        @given(value=strategy)
        def draw_only(value: object) -> None:
            pass

        draw_only()  # warm-up: imports, strategy construction, JAX's first array ops
        start = time.perf_counter()
        draw_only()
        rates[family] = examples / (time.perf_counter() - start)
    return rates


def family(nodeid: str) -> str:
    return "train_state" if "/test_train_state_" in nodeid else "one_step"


def combined_rate(rates: dict[str, float], examples: dict[str, float]) -> float:
    """The draw rate of the suite's example mix: total examples over total draw time."""
    seconds = sum(n / rates[name] for name, n in examples.items())
    return sum(examples.values()) / seconds


def run_suite(
    cache_dir: Path, *, cold: bool, profile: str, more_examples: int | None = None
) -> dict[str, Any]:
    """One run of the suite; ``cache_dir`` holds pytest's cache (with the JAX cache) and
    the Hypothesis database, both emptied for a cold run."""
    pytest_cache, hypothesis_dir = cache_dir / "pytest", cache_dir / "hypothesis"
    if cold:
        shutil.rmtree(cache_dir, ignore_errors=True)
    env = dict(os.environ, HYPOTHESIS_STORAGE_DIRECTORY=str(hypothesis_dir))
    extra: list[str] = []
    if more_examples is not None:
        from more_examples import PROFILE

        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(Path(__file__).parent), env.get("PYTHONPATH")) if p
        )
        env["MORE_EXAMPLES"] = str(more_examples)
        extra, profile = ["-p", "more_examples"], PROFILE
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
            f"cache_dir={pytest_cache}",
            *extra,
            f"--hypothesis-profile={profile}",
            "--conformance-report",
            str(report),
        ]
        start = time.perf_counter()
        done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"suite failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        results = json.loads(report.read_text())["results"]
    by_family = {"one_step": 0.0, "train_state": 0.0}
    for r in results:
        by_family[family(r["nodeid"])] += r["examples"] or 0
    examples = sum(by_family.values())
    return {"wall": wall, "examples": examples, "rate": examples / wall, "by_family": by_family}


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
    parser.add_argument(
        "--more-examples",
        type=int,
        default=300,
        help="examples per property of the extra warm run for the marginal rate (0: skip it)",
    )
    args = parser.parse_args()

    workers = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        cache_dir = Path(tmp) / "pytest-cache"
        draws = bare_draw_rates()
        cold = run_suite(cache_dir, cold=True, profile=args.profile)
        jax_cache = cache_dir / "pytest" / "d" / "trainstate-jax-compilation-cache"
        programs = sum(1 for p in jax_cache.rglob("*") if p.is_file()) if jax_cache.exists() else 0
        warm = [
            run_suite(cache_dir, cold=False, profile=args.profile) for _ in range(args.runs_warm)
        ]
        more = (
            run_suite(cache_dir, cold=False, profile=args.profile, more_examples=args.more_examples)
            if args.more_examples
            else None
        )
    peer = run_peer(args.peer) if args.peer.exists() else None

    best_warm = min(warm, key=lambda r: r["wall"])
    mix = cold["by_family"]
    draw = combined_rate(draws, mix)
    ceiling = draw * workers
    print(f"machine: {workers} cores; profile {args.profile}; xdist -n auto")
    print(
        f"bare draw rate per core: one-step problems() {draws['one_step']:.0f} examples/s, "
        f"TrainState tx+params+grads {draws['train_state']:.0f} examples/s"
    )
    print(
        f"suite's mix ({mix['one_step']:.0f} one-step + {mix['train_state']:.0f} TrainState "
        f"examples): {draw:.0f} examples/s per core, "
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
    if more is not None:
        extra_examples = more["examples"] - best_warm["examples"]
        marginal = extra_examples / (more["wall"] - best_warm["wall"])
        fixed = best_warm["wall"] - best_warm["examples"] / marginal
        print(
            f"suite warm at {args.more_examples} examples per property: {more['wall']:.1f} s, "
            f"{more['examples']:.0f} examples, {more['rate']:.0f} examples/s"
        )
        print(
            f"marginal rate: {marginal:.0f} examples/s = {marginal / ceiling:.0%} of the "
            f"ceiling; fixed cost of a run: {fixed:.1f} s of the {best_warm['wall']:.1f} s"
        )


if __name__ == "__main__":
    main()
