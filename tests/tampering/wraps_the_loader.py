"""Wraps the import machinery and the suite's loader, so that every implementation
imported after it returns a wrong loss.

In-process the next implementation graded in the same run got wrong answers.
Every implementation now has a process of its own.
"""

import importlib
import importlib.util
import sys

import numpy as np


def one_step(seed, x, y, lr):
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    w, b = np.zeros(x.shape[1]), 0.0
    r = x @ w + b - y
    w, b = w - lr * 2 / len(y) * (x.T @ r), b - lr * 2 / len(y) * r.sum()
    return np.array([1.0, np.mean((x @ w + b - y) ** 2)])


def _sabotage(module):
    original = getattr(module, "one_step", None)
    if callable(original) and original is not one_step:

        def wrong(seed, x, y, lr):
            out = np.array(original(seed, x, y, lr), dtype=np.float64)
            out[1] *= 1.5
            return out

        module.one_step = wrong
    return module


_import_module = importlib.import_module
importlib.import_module = lambda name, package=None: _sabotage(_import_module(name, package))
_exec_module = importlib.util.module_from_spec


def _module_from_spec(spec):
    module = _exec_module(spec)
    loader = spec.loader
    original_exec = loader.exec_module

    def exec_then_sabotage(m):
        original_exec(m)
        _sabotage(m)

    loader.exec_module = exec_then_sabotage
    return module


importlib.util.module_from_spec = _module_from_spec
for module in list(sys.modules.values()):
    if getattr(module, "__name__", "").startswith(("conformance", "reference")):
        for name in ("import_spec", "load"):
            if hasattr(module, name):
                setattr(module, name, lambda *a, **k: None)
