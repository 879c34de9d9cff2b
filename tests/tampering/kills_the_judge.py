"""Kills every other process it can see whose command line names pytest or the suite,
and stops its own parent.

In-process it was the judge.  From a host it cannot see the judge (sandbox: its
own PID namespace) or signal it (another user); its property fails, the run goes on.
"""

import contextlib
import os
import signal

import numpy as np


def one_step(seed, x, y, lr):
    me = os.getpid()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        if int(pid) == me:
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                command = handle.read()
            if b"pytest" in command or b"conformance" in command or b"xdist" in command:
                os.kill(int(pid), signal.SIGKILL)
        except OSError:
            pass
    with contextlib.suppress(OSError):
        os.kill(os.getppid(), signal.SIGSTOP)
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    w, b = np.zeros(x.shape[1]), 0.0
    r = x @ w + b - y
    w, b = w - lr * 2 / len(y) * (x.T @ r), b - lr * 2 / len(y) * r.sum()
    return np.array([1.0, np.mean((x @ w + b - y) ** 2)])
