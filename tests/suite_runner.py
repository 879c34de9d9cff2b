"""The one way the project starts the conformance suite in a subprocess, and reads its report.

The meta tests, the kill matrix (``tools/kill_matrix.py``), the soak and the
speed benchmark (``benchmarks/``) judge the suite by its verdicts, so each runs
the real command line, ``python -m pytest -q -n WORKERS --trainstate-report R
...``, through :func:`start_suite`, and reads ``R``.

:func:`run_suite` is the meta tests' form: two workers, the project's own
profiles (``tests/meta_profile.py``), and one
pytest cache directory for every run of one test session, so that JAX's
persistent compilation cache (which the plugin keeps there) compiles the
reference once per shape for all of them instead of once per run and worker.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@dataclass
class SuiteRun:
    """What one run of the suite left: its report (``None`` if it wrote none) and output."""

    report: dict | None
    wall: float
    returncode: int
    stdout: str
    stderr: str

    @property
    def results(self) -> list[dict]:
        return [] if self.report is None else self.report["results"]

    def tail(self, chars: int = 4000) -> str:
        return f"{self.stdout[-chars:]}\n{self.stderr[-chars:]}"


def start_suite(
    args: Sequence[str],
    *,
    workers: str | None = "auto",
    cwd: Path = REPO,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    report: Path | None = None,
) -> SuiteRun:
    """Run ``python -m pytest -q -n WORKERS --trainstate-report REPORT *args`` in ``cwd``.

    ``workers=None`` leaves ``-n`` out (for a run with ``-p no:xdist`` in ``args``); ``report``
    keeps the report there (a temporary file otherwise).
    """
    with tempfile.TemporaryDirectory() as tmp:
        path = report or Path(tmp) / "report.json"
        command = [sys.executable, "-m", "pytest", "-q"]
        command += [] if workers is None else ["-n", workers]
        command += ["--trainstate-report", str(path), *args]
        start = time.perf_counter()
        done = subprocess.run(
            command,
            cwd=cwd,
            env=None if env is None else dict(env),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        wall = time.perf_counter() - start
        document = json.loads(path.read_text()) if path.exists() else None
    return SuiteRun(document, wall, done.returncode, done.stdout, done.stderr)


def run_suite(
    repo: Path,
    report: Path,
    args: list[str],
    *,
    cache_dir: Path,
    timeout: float,
    profile: str = "trainstate-ci",
    workers: str = "2",
) -> list[dict]:
    """The ``results`` of a meta test's suite run with ``args`` on ``workers`` xdist workers;
    fails with its output if none were written."""
    run = start_suite(
        [
            "-o",
            f"cache_dir={cache_dir}",
            # The project's own variants of the profiles (tests/meta_profile.py).
            "-p",
            "tests.meta_profile",
            f"--hypothesis-profile={profile}",
            *args,
        ],
        workers=workers,
        cwd=repo,
        env=os.environ,
        timeout=timeout,
        report=report,
    )
    assert run.report is not None, run.tail(5000)
    return run.results


def jax_cache_root(cache_dir: Path) -> Path:
    """Where the suite keeps its JAX compilation cache in pytest cache directory ``cache_dir``
    (``config.cache.mkdir`` puts a named directory under ``d/``)."""
    from conformance.plugin import JAX_CACHE_SUBDIR

    return cache_dir / "d" / JAX_CACHE_SUBDIR


def replay_failures(
    repo: Path,
    results: list[dict],
    *,
    timeout: float,
    cache_dir: Path | None = None,
    any_failure: frozenset[str] = frozenset(),
) -> list[str]:
    """Run the repro snippet of every failed result, all in one Python process; what did not
    come back as reported (an empty list when every failure did).

    A snippet must raise its failure again: the same exception type and first line as the
    report's ``message``, or any exception for an implementation in ``any_failure`` (one that
    fails more than one way).  ``cache_dir``, the pytest cache directory of the run that
    reported the results, lends the replay the JAX programs that run compiled.
    """
    from conformance.plugin import JUDGE_CACHE

    failed = [r for r in results if r["status"] == "failed"]
    problems = [f"{r['implementation']}: {r['property']}: no repro snippet" for r in failed]
    problems = [p for p, r in zip(problems, failed, strict=True) if not r["repro"]]
    snippets = [r["repro"] for r in failed if r["repro"]]
    env = dict(os.environ)
    if cache_dir is not None:
        # The snippets run the implementations in-process, as the mutants' run did in its judge.
        env["JAX_COMPILATION_CACHE_DIR"] = str(jax_cache_root(cache_dir) / JUDGE_CACHE)
    done = subprocess.run(
        [sys.executable, "-m", "tests.suite_runner"],
        input=json.dumps(snippets),
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-5000:]
    raised = json.loads(done.stdout.splitlines()[-1])
    for result, message in zip((r for r in failed if r["repro"]), raised, strict=True):
        if result["implementation"] in any_failure:
            if message is None:
                problems.append(
                    f"{result['implementation']}: {result['property']}: the snippet gave None"
                )
        elif message != result["message"]:
            problems.append(
                f"{result['implementation']}: {result['property']}: the snippet gave "
                f"{message!r}, the report {result['message']!r}"
            )
    return problems


def _replay_snippets() -> None:
    """Read a JSON list of snippets; print, as JSON, what each raised (``None``: nothing)."""
    raised: list[str | None] = []
    for source in json.loads(sys.stdin.read()):
        try:
            exec(compile(source, "<snippet>", "exec"), {"__name__": "__snippet__"})
        except Exception as exc:
            text = str(exc).strip().splitlines()
            raised.append(f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": "))
        else:
            raised.append(None)
    print(json.dumps(raised))


if __name__ == "__main__":
    _replay_snippets()
