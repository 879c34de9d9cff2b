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
