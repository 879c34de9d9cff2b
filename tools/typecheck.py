"""Type-check the suite strictly, as it is installed: ``python tools/typecheck.py``.

``strategies/`` and ``reference/`` install as ``conformance.strategies`` and
``conformance.reference`` (``[tool.setuptools.package-dir]``), and the
editable install maps them with an import hook that mypy does not run. So
this builds the installed layout out of symbolic links in a temporary
directory, runs ``mypy --strict`` there, and prints the findings with the
repository's own paths.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _link_tree(root: Path) -> dict[str, str]:
    """The installed layout under ``root``; returns each linked path and the repo path it shows."""
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    shown = {}
    (root / "conformance").mkdir()
    for entry in (REPO / "conformance").iterdir():
        if entry.name != "__pycache__":
            (root / "conformance" / entry.name).symlink_to(entry)
    for package, directory in setuptools["package-dir"].items():
        linked = root / package.replace(".", "/")
        linked.symlink_to(REPO / directory)
        shown[f"{package.replace('.', '/')}/"] = f"{directory}/"
    for module in setuptools["py-modules"]:
        (root / f"{module}.py").symlink_to(REPO / f"{module}.py")
    return shown


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="trainstate-typecheck-") as tmp:
        root = Path(tmp)
        shown = _link_tree(root)
        done = subprocess.run(
            [sys.executable, "-m", "mypy", "--config-file", str(REPO / "pyproject.toml"),
             "-p", "conformance", "-m", "pytest_trainstate"],
            cwd=root, capture_output=True, text=True, check=False,
        )  # fmt: skip
    for line in (done.stdout + done.stderr).splitlines():
        for linked, path in shown.items():
            if line.startswith(linked):
                line = path + line.removeprefix(linked)
        print(line)
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
