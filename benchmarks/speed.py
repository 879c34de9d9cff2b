"""Side-by-side speed benchmark: the suite against the reference vs the naive peer suite.

Run from the repository root:  python benchmarks/speed.py [--peer PATH] [--runs-warm N]

In one run on one machine it measures and prints:

1. the ceiling, the bare draw rate of the suite's own strategies, two ways:
   - in the run: for every property, the time Hypothesis itself spends (the
     property's wall time minus its test body, plus the draws the body makes;
     :mod:`hypothesis_time`), so exactly what each property draws, engine
     bookkeeping included; examples over that time, per core, times the workers;
   - isolated: an empty-body ``@given`` over the two strategy families
     (``problems()``; an optimizer, params and grads), combined in the
     proportion of examples each family ran;
2. the suite with ``-n auto`` against the reference: cold (empty JAX
   compilation cache, empty Hypothesis database, no bytecode of the suite's
   own modules) and warm (all kept): wall time, examples, examples/s, and the
   number of programs XLA compiled;
3. the naive peer suite with ``-n auto`` (``NAIVE_COUNT_DIR`` counts its examples);
4. the ratios suite/peer and suite/ceiling;
5. the marginal rate: the suite warm at ``--more-examples`` examples per
   property, so that (extra examples) / (extra time) is the cost of one more
   example and the rest of the default run is the fixed cost of a run;
6. the warm run once more with ``PYTHONDONTWRITEBYTECODE=1``, as CI and this
   environment set it: every process then compiles the suite's modules and
   pytest rewrites every plugin's modules (all of Hypothesis) again;
7. the cost of isolation: the warm run again with ``--trainstate-in-process`` (the
   implementation imported into pytest's processes, as before isolation);
8. grading (``--grading-runs``, skip with 0): ``python -m conformance`` on one
   submission and on ten in one invocation (:data:`SUBMISSIONS`: the bundled
   correct implementations and the recipe), isolated and ``--trainstate-in-process``,
   each cold as a grader's run is (no ``--cache-dir``).

Python's bytecode: every run uses the benchmark's own bytecode directory
(``PYTHONPYCACHEPREFIX``), filled first with the standard library and
site-packages compiled as ``pip install`` leaves them, so that cold and warm
mean the same on any machine, whatever bytecode earlier runs left behind.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from hypothesis_time import ENV_VAR as HYPOTHESIS_TIME_DIR
from hypothesis_time import hypothesis_seconds

from conformance.plugin import JAX_CACHE_SUBDIR

BENCHMARKS = Path(__file__).resolve().parent
REPO = BENCHMARKS.parent
# The project's one way to start the suite in a subprocess (tests/suite_runner.py).
sys.path.insert(0, str(REPO))
from tests.suite_runner import SuiteRun as Finished  # noqa: E402
from tests.suite_runner import start_suite  # noqa: E402

DEFAULT_PEER = REPO.parent / "shared" / "peers" / "naive_suite"


def bare_draw_rates(examples: int = 1000) -> dict[str, float]:
    """Examples per second Hypothesis draws, with an empty body, for each property family."""
    from hypothesis import Phase, given, settings
    from hypothesis import strategies as st

    from conformance.strategies.optimizers import optimizers
    from conformance.strategies.problems import problems
    from conformance.strategies.pytrees import grads, params

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


def family(result: dict) -> str:
    """A result's family, by the markers its property carries."""
    return "train_state" if "trainstate_train_state" in (result["markers"] or []) else "one_step"


def combined_rate(rates: dict[str, float], examples: dict[str, float]) -> float:
    """The draw rate of the suite's example mix: total examples over total draw time."""
    seconds = sum(n / rates[name] for name, n in examples.items())
    return sum(examples.values()) / seconds


def prime_bytecode(prefix: Path) -> None:
    """Compile the standard library and site-packages into ``prefix``, as Python's
    installation and ``pip install`` leave them; the suite's own modules stay uncompiled."""
    paths = sysconfig.get_paths()
    site_packages = {paths["purelib"], paths["platlib"]}
    for directory, skipped in (
        (paths["stdlib"], r"[/\\](test|idlelib|tkinter|lib2to3|site-packages)[/\\]"),
        *((d, r"[/\\]tests?[/\\]") for d in sorted(site_packages)),
    ):
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", "-j", "0", "-x", skipped, directory],
            env=dict(os.environ, PYTHONPYCACHEPREFIX=str(prefix)),
            capture_output=True,
            check=False,  # a few files of any site-packages do not compile; nothing imports them
        )


@dataclass
class Environment:
    """How the child processes run: their bytecode directory and whether they write to it."""

    pycache: Path
    write_bytecode: bool = True
    pythonpath: str | None = None
    """Put first on ``PYTHONPATH`` (another installation of the suite, say)."""

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ, PYTHONPYCACHEPREFIX=str(self.pycache))
        if self.pythonpath:
            env["PYTHONPATH"] = os.pathsep.join(
                p for p in (self.pythonpath, os.environ.get("PYTHONPATH")) if p
            )
        env.update(extra)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        if not self.write_bytecode:
            env["PYTHONDONTWRITEBYTECODE"] = "1"
        return env


@dataclass
class SuiteRun:
    wall: float
    examples: float
    by_family: dict[str, float]
    hypothesis_seconds: float
    """Hypothesis's own time, summed over the properties of every worker."""

    @property
    def rate(self) -> float:
        return self.examples / self.wall

    def ceiling(self, workers: int) -> float:
        return workers * self.examples / self.hypothesis_seconds


def failures(suite: Finished) -> str:
    """Every failed or blocked result of ``suite`` in full, with its repro snippet: a
    benchmark run draws at random, so a false failure it meets is kept only here."""
    return "".join(
        f"{r['implementation']}: {r['property']} {r['status']}:\n{r['message']}\n"
        f"{r.get('repro') or '(no repro snippet)'}\n\n"
        for r in suite.results
        if r["status"] in ("failed", "blocked")
    )


def run_suite(
    cache_dir: Path,
    environment: Environment,
    *,
    profile: str,
    more_examples: int | None = None,
    extra: tuple[str, ...] = (),
) -> SuiteRun:
    """One run of the suite; ``cache_dir`` holds pytest's cache (with the JAX cache) and
    the Hypothesis database."""
    pytest_cache, hypothesis_dir = cache_dir / "pytest", cache_dir / "hypothesis"
    extra_env = {"HYPOTHESIS_STORAGE_DIRECTORY": str(hypothesis_dir)}
    plugins = ["-p", "hypothesis_time"]
    if more_examples is not None:
        from more_examples import PROFILE

        extra_env["MORE_EXAMPLES"] = str(more_examples)
        plugins += ["-p", "more_examples"]
        profile = PROFILE
    with tempfile.TemporaryDirectory() as tmp:
        times = Path(tmp) / "times"
        times.mkdir()
        pythonpath = os.pathsep.join(
            p for p in (str(BENCHMARKS), os.environ.get("PYTHONPATH")) if p
        )
        env = environment.env(
            **extra_env, PYTHONPATH=pythonpath, **{HYPOTHESIS_TIME_DIR: str(times)}
        )
        suite = start_suite(
            [
                "-o",
                f"cache_dir={pytest_cache}",
                *plugins,
                f"--hypothesis-profile={profile}",
                *extra,
            ],
            env=env,
        )
        if suite.returncode != 0:
            raise SystemExit(f"suite failed:\n{failures(suite)}{suite.tail(3000)}")
        results, wall = suite.results, suite.wall
        records = [r for path in times.glob("*.json") for r in json.loads(path.read_text())]
    by_family = {"one_step": 0.0, "train_state": 0.0}
    for r in results:
        by_family[family(r)] += r["examples"] or 0
    return SuiteRun(
        wall=wall,
        examples=sum(by_family.values()),
        by_family=by_family,
        hypothesis_seconds=sum(hypothesis_seconds(r) for r in records),
    )


SUBMISSIONS = (
    "ts_flax",
    "pure_jax",
    "flax_nnx",
    "equinox_state",
    "numpy_float64",
    "numpy_float32_reversed",
    "ts_flax_subclass",
    "ts_dataclass_pytree",
    "ts_equinox_module",
)
"""Bundled correct implementations graded as submissions, with a recipe wrapper as the tenth;
the first is the one graded alone."""
RECIPE = "from conformance.reference.flax_step import one_step\n"


def run_grading(names: list[str], environment: Environment, *pytest_args: str) -> float:
    """Wall seconds of one ``python -m conformance`` run over ``names`` (see SUBMISSIONS)."""
    with tempfile.TemporaryDirectory() as where:
        files = []
        for name in names:
            target = Path(where) / f"{name}.py"
            source = REPO / "implementations" / "correct" / f"{name}.py"
            target.write_text(source.read_text() if source.exists() else RECIPE)
            files.append(str(target))
        command = [sys.executable, "-m", "conformance", *files]
        if pytest_args:
            command += ["--", *pytest_args]
        start = time.perf_counter()
        done = subprocess.run(
            command, cwd=where, env=environment.env(), capture_output=True, text=True
        )
        wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"grading failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return wall


def run_peer(peer: Path, environment: Environment) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as counts:
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "auto"],
            cwd=peer,
            env=environment.env(NAIVE_COUNT_DIR=counts),
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"peer suite failed:\n{done.stdout[-3000:]}")
        examples = sum(int(p.read_text().split()[0]) for p in Path(counts).glob("*.count"))
    return {"wall": wall, "examples": examples, "rate": examples / wall}


def describe(name: str, run: SuiteRun, workers: int) -> str:
    return (
        f"{name}: {run.wall:.1f} s, {run.examples:.0f} examples, {run.rate:.0f} examples/s; "
        f"Hypothesis's own time {run.hypothesis_seconds:.1f} s of the workers' "
        f"(ceiling in this run {run.ceiling(workers):.0f} examples/s, "
        f"suite/ceiling {run.rate / run.ceiling(workers):.0%})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer", type=Path, default=DEFAULT_PEER)
    parser.add_argument("--runs-warm", type=int, default=3)
    parser.add_argument("--profile", default="trainstate-dev")
    parser.add_argument(
        "--more-examples",
        type=int,
        default=300,
        help="examples per property of the extra warm run for the marginal rate (0: skip it)",
    )
    parser.add_argument(
        "--grading-runs",
        type=int,
        default=1,
        help="times to grade one and ten submissions, isolated and in-process (0: skip)",
    )
    args = parser.parse_args()

    workers = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        pycache, cache_dir = Path(tmp) / "pycache", Path(tmp) / "caches"
        prime_bytecode(pycache)
        # The run without a bytecode cache gets the installed bytecode only, never what the
        # other runs write.
        shutil.copytree(pycache, Path(tmp) / "pycache-installed")
        caching = Environment(pycache)
        not_writing = Environment(Path(tmp) / "pycache-installed", write_bytecode=False)
        draws = bare_draw_rates()
        cold = run_suite(cache_dir, caching, profile=args.profile)
        jax_cache = cache_dir / "pytest" / "d" / JAX_CACHE_SUBDIR
        programs = sum(1 for p in jax_cache.rglob("*") if p.is_file()) if jax_cache.exists() else 0
        warm = [run_suite(cache_dir, caching, profile=args.profile) for _ in range(args.runs_warm)]
        more = (
            run_suite(cache_dir, caching, profile=args.profile, more_examples=args.more_examples)
            if args.more_examples
            else None
        )
        no_bytecode = run_suite(cache_dir, not_writing, profile=args.profile)
        in_process = [
            run_suite(cache_dir, caching, profile=args.profile, extra=("--trainstate-in-process",))
            for _ in range(args.runs_warm)
        ]
        peer = run_peer(args.peer, caching) if args.peer.exists() else None
        ten = [*SUBMISSIONS, "recipe"]
        grading = {
            (mode, count): [
                run_grading(ten[:count], caching, *extra) for _ in range(args.grading_runs)
            ]
            for mode, extra in (("isolated", ()), ("in-process", ("--trainstate-in-process",)))
            for count in (1, 10)
        }

    by_wall = sorted(warm, key=lambda r: r.wall)
    best, median = by_wall[0], by_wall[len(by_wall) // 2]
    isolated = combined_rate(draws, cold.by_family) * workers
    print(f"machine: {workers} cores; profile {args.profile}; xdist -n auto")
    print(
        f"ceiling, isolated: empty-body draws per core: one-step problems() "
        f"{draws['one_step']:.0f}/s, TrainState tx+params+grads {draws['train_state']:.0f}/s; "
        f"for the suite's mix ({cold.by_family['one_step']:.0f} one-step + "
        f"{cold.by_family['train_state']:.0f} TrainState examples) {isolated:.0f} examples/s "
        f"on {workers} workers"
    )
    print(describe("suite cold", cold, workers) + f"; {programs} programs compiled")
    for i, r in enumerate(warm, 1):
        print(describe(f"suite warm #{i}", r, workers))
    print(describe("suite warm, PYTHONDONTWRITEBYTECODE=1", no_bytecode, workers))
    if peer is not None:
        print(
            f"naive peer: {peer['wall']:.1f} s, {peer['examples']:.0f} examples, "
            f"{peer['rate']:.1f} examples/s"
        )
        print(
            f"suite/peer: warm {best.rate / peer['rate']:.1f}x (median warm run "
            f"{median.rate / peer['rate']:.1f}x), "
            f"cold {cold.rate / peer['rate']:.1f}x, "
            f"warm without bytecode cache {no_bytecode.rate / peer['rate']:.1f}x"
        )
    for name, r in (("best", best), ("median", median)):
        print(
            f"suite/ceiling, {name} warm run ({r.wall:.1f} s): {r.rate / r.ceiling(workers):.0%} "
            f"of the ceiling in the run ({r.ceiling(workers):.0f}/s), {r.rate / isolated:.0%} "
            f"of the isolated one ({isolated:.0f}/s)"
        )
    inp = sorted(in_process, key=lambda r: r.wall)
    print(
        f"isolation, default run: warm isolated {best.wall:.1f} s best / {median.wall:.1f} s "
        f"median, in-process {inp[0].wall:.1f} s best / {inp[len(inp) // 2].wall:.1f} s "
        f"median: isolation costs {best.wall - inp[0].wall:+.1f} s (best) "
        f"{median.wall - inp[len(inp) // 2].wall:+.1f} s (median)"
    )
    for mode in ("isolated", "in-process"):
        one, many = grading.get((mode, 1)), grading.get((mode, 10))
        if one and many:
            print(
                f"grading, {mode}: one submission ({SUBMISSIONS[0]}) {min(one):.1f} s, ten in "
                f"one run {min(many):.1f} s = {min(many) / min(one):.1f}x"
            )
    if more is not None:
        marginal = (more.examples - best.examples) / (more.wall - best.wall)
        fixed = best.wall - best.examples / marginal
        print(describe(f"suite warm at {args.more_examples} examples per property", more, workers))
        print(
            f"marginal rate: {marginal:.0f} examples/s = {marginal / best.ceiling(workers):.0%} "
            f"of the ceiling in the run; fixed cost of a run: {fixed:.1f} s of the "
            f"{best.wall:.1f} s"
        )


if __name__ == "__main__":
    main()
