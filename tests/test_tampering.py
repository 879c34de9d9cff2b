"""Tampering implementations cannot forge a verdict: one grader run over all of them.

Each module in ``tests/tampering/`` is a wrong ``one_step`` with one attack on the
judge (its docstring says which, and what it achieved while implementations ran in
the suite's own processes).  One ``python -m conformance`` run grades all of them
beside a correct submission: every tampering one must be judged not conforming,
the correct one must conform, the exit code must be 1, and the report, the JUnit
file, the corpus and the JAX cache must be the suite's own after the run, with no
process of any implementation left.  A second run with the same ``--cache-dir`` and
``--trainstate-corpus`` judges a correct and a wrong submission as if the first had not been.

The attacks include killing every process they can see, so this runs only where
the implementations are contained: in the bubblewrap sandbox (``--sandbox auto``),
and, as root, once more without it (``--sandbox none``, each host a uid of its own),
where a uid that is not root can run this Python.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.isolation.launcher import IsolationError, choose
from tests import meta_profile
from tests.submissions import CORRECT

TAMPERING = Path(__file__).resolve().parent / "tampering"
WRONG = (
    "import numpy as np\n"
    "def one_step(seed, x, y, lr):\n"
    "    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)\n"
    "    w, b = np.zeros(x.shape[1]), 0.0\n"
    "    r = x @ w + b - y\n"
    "    w, b = w - lr * 2 / len(y) * (x.T @ r), b - lr * 2 / len(y) * r.sum()\n"
    "    return np.array([1.0, np.mean((x @ w + b - y) ** 2)])\n"
)


STAYS_POSSIBLE = ("has_another_class_tested",)
"""Attacks the suite cannot stop (see the README's trust model): they may pass, but each of
their verdicts must be marked as resting on the implementation's process."""


OUTSIDE_THE_SANDBOX = (
    "exits_zero_at_exit",
    "kills_the_judge",
    "mutates_inputs_and_forges_reports",
    "poisons_corpus",
    "poisons_jax_cache",
    "replaces_judge_modules",
    "rewrites_reports_later",
    "writes_everywhere",
)
"""The attacks on what a process shares with others (signals, files, the shared inputs,
the import path), graded again where no sandbox separates hosts, as a container grader
with user namespaces off runs them (``--sandbox none`` as root: a uid of their own each).
The attacks that only rewrite their own process meet the same host in both modes."""


def _not_contained(sandbox: str) -> str | None:
    try:
        isolation = choose(
            sandbox, in_process=False, memory_limit=1, hidden=(), readable_paths=sys.path
        )
    except IsolationError as exc:
        return str(exc)
    return None if isolation.contained else isolation.description


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "missing"


def _grade(
    where: Path,
    sandbox: str,
    impls: list[str],
    report: str,
    cache: Path,
    profile: Path,
    *pytest_args: str,
) -> subprocess.CompletedProcess:
    # The quick profile (tests/meta_profile.py, found in ``profile``): the attacks are judged
    # at their first call, and the correct submission needs no hundred draws per property.
    return subprocess.run(
        [sys.executable, "-m", "conformance", *impls, "--workers", "2", "--sandbox", sandbox,
         "--report", report,
         "--cache-dir", str(cache), "--", *meta_profile.QUICK_ARGS, *pytest_args],
        cwd=where, capture_output=True, text=True, timeout=1500,
        env={**os.environ, "PYTHONPATH": meta_profile.pythonpath(profile)},
    )  # fmt: skip


def _leftovers(marker: str) -> list[str]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if marker in command and int(pid) != os.getpid():
            found.append(f"{pid}: {command[:120]}")
    return found


@pytest.fixture(scope="module", params=["auto", "none"])
def graded(request, meta_profile_dir) -> Iterator[dict]:
    sandbox = request.param
    if (why := _not_contained(sandbox)) is not None:
        pytest.skip(f"implementations are not contained with --sandbox {sandbox} here: {why}")
    # A directory every uid can enter, as a grader's is: without a sandbox each host runs as
    # an unprivileged uid that must read its submission (pytest's tmp_path is root's only).
    where = Path(tempfile.mkdtemp(prefix="trainstate-grading-"))
    where.chmod(0o755)
    names = sorted(p.stem for p in TAMPERING.glob("*.py"))
    if sandbox == "none":
        names = [name for name in names if name in OUTSIDE_THE_SANDBOX]
    for name in names:
        shutil.copy(TAMPERING / f"{name}.py", where / f"{name}.py")
    (where / "correct_submission.py").write_text(CORRECT)
    (where / "wrong_submission.py").write_text(WRONG)
    cache = where / "cache"
    impls = [f"{name}.py" for name in names] + ["correct_submission.py"]
    before = {p.name for p in where.iterdir()}
    first = _grade(
        where, sandbox, impls, "report.json", cache, meta_profile_dir, "--trainstate-maxfail", "1",
        "--trainstate-corpus", "corpus.jsonl",
        "--junitxml", "junit.xml",
    )  # fmt: skip
    files = {name: _digest(where / name) for name in ("report.json", "junit.xml")}
    time.sleep(3)  # a detached rewriter would strike now
    second = _grade(
        where, sandbox, ["correct_submission.py", "wrong_submission.py"], "second.json", cache,
        meta_profile_dir,
        "--trainstate-corpus", "corpus.jsonl",
    )  # fmt: skip
    yield {
        "where": where,
        "names": names,
        "before": before,
        "first": first,
        "files": files,
        "second": second,
    }
    shutil.rmtree(where, ignore_errors=True)


def _verdicts(report: dict) -> dict[str, str]:
    return {impl["name"]: impl["verdict"] for impl in report["implementations"]}


def test_tampering_implementations_cannot_forge_a_verdict(graded) -> None:
    # One test for the runs: under xdist a module-scoped fixture would run once per worker.
    import conformance

    where, first, second = graded["where"], graded["first"], graded["second"]
    output = first.stdout[-3000:] + first.stderr[-3000:]
    assert first.returncode == 1, output
    assert graded["files"]["report.json"] != "missing", output

    # Every tampering implementation is judged not conforming; the correct one conforms.
    report = json.loads((where / "report.json").read_text())
    verdicts = _verdicts(report)
    assert verdicts.pop("correct_submission") == "CONFORMS", output
    assert set(verdicts) == set(graded["names"])
    # What stays possible may pass, but never as the judge's own evidence.
    for name in set(STAYS_POSSIBLE) & set(verdicts):
        verdicts.pop(name)
        resting = [r for r in report["results"] if r["implementation"] == name]
        judged = [r["property"] for r in resting if r["status"] == "passed"]
        assert judged, f"{name}: nothing ran"
        assert [
            r["property"]
            for r in resting
            if r["status"] == "passed" and r["evidence"] != "implementation-process"
        ] == [], name
    assert {n: v for n, v in verdicts.items() if v == "CONFORMS"} == {}
    for name in verdicts:
        assert f"{name}: DOES NOT CONFORM" in first.stdout, name
    # A submission's text is data: no escape byte reaches the terminal, no line of its own.
    assert "\x1b" not in first.stdout + first.stderr and "\u202e" not in first.stdout
    assert not any(
        line.startswith("prints_a_fake_verdict: CONFORMS") for line in first.stdout.splitlines()
    )

    # The report files are the run's own, right after it and after the next run.
    for name in ("report.json", "junit.xml"):
        assert _digest(where / name) == graded["files"][name], f"{name} was rewritten"
    assert "tampered" not in (where / "report.json").read_text()

    # No process of any implementation outlives the runs, none wrote outside its own directory.
    assert _leftovers(str(where)) == []
    new = {p.name for p in where.iterdir()} - graded["before"]
    assert new <= {"report.json", "second.json", "junit.xml", "corpus.jsonl", "cache"}, new
    places = [where, Path(conformance.__file__).parent, Path.home(), Path("/tmp")]
    assert [str(p) for place in places for p in place.glob("tampered-by-*")] == []

    # After the poisoners, a correct submission still conforms and a wrong one still fails.
    second_verdicts = _verdicts(json.loads((where / "second.json").read_text()))
    assert second_verdicts == {
        "correct_submission": "CONFORMS",
        "wrong_submission": "DOES NOT CONFORM",
    }, second.stdout[-3000:]
    # The judge records the failures of the submissions it graded, and nothing else.
    records = [
        json.loads(line) for line in (where / "corpus.jsonl").read_text().splitlines() if line
    ]
    assert {r["implementation"] for r in records} <= {*graded["names"], "wrong_submission"}
