"""Run the conformance suite in a subprocess, as a user would, and read its JSON report.

The meta tests judge the suite by its verdicts on bundled and hostile
implementations, so each runs the real command line (``-n 2``, the
derandomized ``ci`` profile) and reads ``--trainstate-report``.

Every run of one test session shares one pytest cache directory, so JAX's
persistent compilation cache (which the plugin keeps there) compiles the
reference once per shape for all of them instead of once per run and worker.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def run_suite(
    repo: Path,
    report: Path,
    args: list[str],
    *,
    cache_dir: Path,
    timeout: float,
    profile: str = "trainstate-ci",
) -> list[dict]:
    """The ``results`` of a suite run with ``args``; fails with its output if none were written."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-n",
            "2",
            "-o",
            f"cache_dir={cache_dir}",
            # The project's own variants of the profiles (tests/meta_profile.py).
            "-p",
            "tests.meta_profile",
            f"--hypothesis-profile={profile}",
            # Verdicts, not usage errors: no start-up check that imports every implementation.
            "--trainstate-grading",
            "--trainstate-report",
            str(report),
            *args,
        ],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert report.exists(), done.stdout[-5000:] + done.stderr[-5000:]
    return json.loads(report.read_text())["results"]


def replay_failures(repo: Path, results: list[dict], *, timeout: float) -> list[str]:
    """Run the repro snippet of every failed result, all in one Python process; what did not
    come back as reported (an empty list when every failure did).

    A snippet must raise its failure again: the same exception type and first line as the
    report's ``message``.
    """
    failed = [r for r in results if r["status"] == "failed"]
    problems = [f"{r['implementation']}: {r['property']}: no repro snippet" for r in failed]
    problems = [p for p, r in zip(problems, failed, strict=True) if not r["repro"]]
    snippets = [r["repro"] for r in failed if r["repro"]]
    done = subprocess.run(
        [sys.executable, "-m", "tests.suite_runner"],
        input=json.dumps(snippets),
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-5000:]
    raised = json.loads(done.stdout.splitlines()[-1])
    for result, message in zip((r for r in failed if r["repro"]), raised, strict=True):
        if message != result["message"]:
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
