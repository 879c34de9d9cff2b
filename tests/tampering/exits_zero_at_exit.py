"""Registers ``atexit`` handlers that end the process with status 0.

In the controller that made a failing run exit 0.  The exit code now comes
from the verdicts, in a process that never runs the implementation.
"""

import atexit
import os

import numpy as np

atexit.register(lambda: os._exit(0))


def one_step(seed, x, y, lr):
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    w, b = np.zeros(x.shape[1]), 0.0
    r = x @ w + b - y
    w, b = w - lr * 2 / len(y) * (x.T @ r), b - lr * 2 / len(y) * r.sum()
    return np.array([1.0, np.mean((x @ w + b - y) ** 2)])
