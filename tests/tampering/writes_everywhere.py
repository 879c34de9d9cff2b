"""Writes files where it can: the working directory, ``$HOME``, the directory of its
own source, the suite's source tree, and ``/tmp``.

In-process it wrote into the grader's working directory and could change the
suite's own files.  In the sandbox only its private directory is writable, and
that is removed with it.
"""

import contextlib
import os
from pathlib import Path

import numpy as np

TARGETS = [Path.cwd(), Path.home(), Path(__file__).parent, Path("/tmp")]
try:
    import conformance

    TARGETS.append(Path(conformance.__file__).parent)
except ImportError:
    pass


def one_step(seed, x, y, lr):
    for target in TARGETS:
        with contextlib.suppress(OSError):
            (target / f"tampered-by-{os.getpid()}.txt").write_text("tampered")
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    w, b = np.zeros(x.shape[1]), 0.0
    r = x @ w + b - y
    w, b = w - lr * 2 / len(y) * (x.T @ r), b - lr * 2 / len(y) * r.sum()
    return np.array([1.0, np.mean((x @ w + b - y) ** 2)])
