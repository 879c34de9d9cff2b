"""What a module's source plainly defines, read by the judge without running any of it.

A grader whose assignment is the ``TrainState`` class must not be told "does not
apply" by a submission whose process claims it has none.  The judge parses the
module's file (never imports it) and finds the names its top level binds: a
``def``, a ``class``, an assignment, an import.  Where the source binds
``TrainState`` or ``one_step`` and the process that imported it reports no
such thing, the report is not believed (:mod:`conformance.properties.requirements`).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from conformance.isolation.service import is_file_spec

WATCHED = ("one_step", "TrainState")


def source_path(spec: str) -> Path | None:
    """The file of ``spec``: the path itself, or a dotted module found on ``sys.path`` by name
    alone (``importlib.util.find_spec`` would import its parent packages)."""
    if is_file_spec(spec):
        path = Path(spec).expanduser()
        return path if path.is_file() else None
    parts = spec.split(".")
    for entry in sys.path:
        base = Path(entry or ".").joinpath(*parts)
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                return candidate
    return None


def module_root(spec: str) -> Path | None:
    """What a host must be able to read to import ``spec``: the file, or a dotted module's
    top-level package directory (or its file, for a top-level module)."""
    path = source_path(spec)
    if path is None or is_file_spec(spec):
        return path
    depth = spec.count(".") + (1 if path.name == "__init__.py" else 0)
    return path.parents[depth - 1] if depth else path


def _bound(node: ast.stmt) -> list[str]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return [(alias.asname or alias.name).split(".")[0] for alias in node.names]
    targets: list[ast.expr] = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        targets = [node.target]
    names = []
    for target in targets:
        for sub in ast.walk(target):
            if isinstance(sub, ast.Name):
                names.append(sub.id)
    return names


def declared(spec: str) -> dict[str, int]:
    """The watched names ``spec``'s source binds at its top level, with the line of the first
    binding; empty when the source cannot be found or parsed."""
    path = source_path(spec)
    if path is None:
        return {}
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (OSError, SyntaxError, ValueError):
        return {}
    found: dict[str, int] = {}
    for node in tree.body:
        for name in _bound(node):
            if name in WATCHED:
                found.setdefault(name, node.lineno)
    return found
